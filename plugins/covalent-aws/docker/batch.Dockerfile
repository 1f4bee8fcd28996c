# The container image AWS Batch runs for AWSBatchExecutor jobs.
#
# The image needs the same Python minor version and cloudpickle version as the
# covalent server (the payload checks both), bondflow, bondflow-aws (which brings
# boto3), and whatever the tasks import.
#
# Build from the repository root, after building the wheels:
#   uv build --package bondflow --out-dir plugins/covalent-aws/docker/dist
#   uv build --package bondflow-aws --out-dir plugins/covalent-aws/docker/dist
#   docker build -f plugins/covalent-aws/docker/batch.Dockerfile \
#       --build-arg PYTHON_VERSION=3.11 -t covalent-batch:latest plugins/covalent-aws/docker
# then push it to ECR and pass image="<account>.dkr.ecr.<region>.amazonaws.com/covalent-batch:latest".
ARG PYTHON_VERSION=3.11
FROM python:${PYTHON_VERSION}-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1

COPY dist/*.whl /tmp/wheels/
RUN pip install /tmp/wheels/*.whl && rm -rf /tmp/wheels

# Pin cloudpickle to the server's version (python -c "import cloudpickle; print(cloudpickle.__version__)").
ARG CLOUDPICKLE_VERSION=""
RUN if [ -n "$CLOUDPICKLE_VERSION" ]; then pip install "cloudpickle==${CLOUDPICKLE_VERSION}"; fi

# The tasks' own dependencies go here, e.g.:
# RUN pip install numpy pandas

RUN useradd --create-home --uid 1000 covalent
USER covalent
WORKDIR /home/covalent

# The executor overrides the command of every job with
#   python -m covalent_aws.entrypoint --bucket B --payload-key K --outcome-key K2 --error-key K3 --region R
CMD ["python", "-m", "covalent_aws.entrypoint", "--help"]
