# A Lambda container image whose handler is covalent_aws.lambda_handler.handler.
#
# Same rules as the Batch image: the server's Python minor version and cloudpickle
# version, bondflow and bondflow-aws, and the tasks' dependencies.
#
#   uv build --package bondflow --out-dir plugins/covalent-aws/docker/dist
#   uv build --package bondflow-aws --out-dir plugins/covalent-aws/docker/dist
#   docker build -f plugins/covalent-aws/docker/lambda.Dockerfile \
#       -t covalent-lambda:latest plugins/covalent-aws/docker
# then push it to ECR and create the function from it (see the README).
ARG PYTHON_VERSION=3.11
FROM public.ecr.aws/lambda/python:${PYTHON_VERSION}

COPY dist/*.whl /tmp/wheels/
RUN pip install --no-cache-dir --target "${LAMBDA_TASK_ROOT}" /tmp/wheels/*.whl && rm -rf /tmp/wheels

ARG CLOUDPICKLE_VERSION=""
RUN if [ -n "$CLOUDPICKLE_VERSION" ]; then \
      pip install --no-cache-dir --target "${LAMBDA_TASK_ROOT}" --upgrade "cloudpickle==${CLOUDPICKLE_VERSION}"; fi

# The tasks' own dependencies go here, e.g.:
# RUN pip install --no-cache-dir --target "${LAMBDA_TASK_ROOT}" numpy

CMD ["covalent_aws.lambda_handler.handler"]
