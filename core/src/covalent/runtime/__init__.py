"""The worker side: run a job payload and return its outcome.

Remote executors run ``python -m covalent.runtime run PAYLOAD_FILE OUTCOME_FILE``
(or call :func:`run_payload`) wherever the job lands.
"""

from covalent.runtime.execute import execute_job, execute_payload, run_payload
from covalent.runtime.spec import JobSpec, NodeSpec, Ref

__all__ = ["JobSpec", "NodeSpec", "Ref", "execute_job", "execute_payload", "run_payload"]
