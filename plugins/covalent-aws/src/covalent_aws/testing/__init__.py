"""Test fixtures for the AWS executors: moto in server mode plus the parts moto lacks.

Moto runs no container and no Lambda handler.  :class:`FakeBatchCompute`
and :class:`FakeLambdaRuntime` play those parts against a
:class:`MotoAWS` server in this process: for every Batch job moto accepts
they run the job's own container command (``python -m
covalent_aws.entrypoint ...``) in a subprocess and report its exit to
moto; for every Lambda invocation they run the function's handler
(``covalent_aws.lambda_handler.handler``) in a subprocess.  The executors
under test only ever see the AWS API at ``MotoAWS.endpoint_url``.

Needs the ``test`` extra (``moto[server]``).  Not imported by the executors.
"""

from covalent_aws.testing.fake_batch import FakeBatchCompute
from covalent_aws.testing.fake_lambda import FakeLambdaRuntime
from covalent_aws.testing.moto_aws import AWSResources, MotoAWS

__all__ = ["AWSResources", "FakeBatchCompute", "FakeLambdaRuntime", "MotoAWS"]
