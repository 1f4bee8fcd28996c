"""The Lambda runtime moto lacks: runs the function's handler for each invocation.

Moto's Docker-less Lambda answers every invoke with a canned payload.  While
a :class:`FakeLambdaRuntime` is started, moto instead runs the function's
configured handler (``covalent_aws.lambda_handler.handler``) in a
subprocess (:mod:`covalent_aws.testing.lambda_bootstrap`) with the
function's environment, the moto endpoint and fake credentials:
``RequestResponse`` invocations answer with the handler's result (or
``FunctionError: Unhandled`` and Lambda's error document; ``LogType=Tail``
gives the last 4 KB of output), ``Event`` invocations answer 202 at once and
run in the background.  The function's ``Timeout`` is enforced: the handler's
process group is killed and the invocation reports ``Task timed out``.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from covalent_aws.testing._process import OutputCollector, kill_group
from covalent_aws.testing.moto_aws import MotoAWS

__all__ = ["FakeLambdaRuntime", "Invocation"]


@dataclass
class Invocation:
    """One invocation the fake runtime ran."""

    function_name: str
    invocation_type: str
    event: dict[str, Any]
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    pid: int | None = None
    returncode: int | None = None
    timed_out: bool = False
    error: bool = False
    payload: Any = None
    output: list[str] = field(default_factory=list)
    finished: threading.Event = field(default_factory=threading.Event)


class FakeLambdaRuntime:
    """Plays the Lambda service's runtime for every function invoked on ``moto``."""

    def __init__(self, moto: MotoAWS) -> None:
        self.moto = moto
        self.invocations: list[Invocation] = []
        self._threads: list[threading.Thread] = []
        self._procs: dict[str, subprocess.Popen[bytes]] = {}
        self._lock = threading.Lock()
        self._original: Any = None

    def start(self) -> FakeLambdaRuntime:
        from moto.awslambda_simple.models import LambdaSimpleBackend

        runtime = self
        self._original = LambdaSimpleBackend.__dict__["invoke"]

        def invoke(
            backend: Any, function_name: str, qualifier: str | None, body: Any, headers: Any, response_headers: Any
        ) -> bytes:
            function = backend.get_function(function_name, qualifier)
            return runtime._invoke(function, body, headers, response_headers)

        LambdaSimpleBackend.invoke = invoke  # type: ignore[method-assign,assignment]
        return self

    def stop(self) -> None:
        """Kill running handlers, wait for background invocations, restore moto."""
        from moto.awslambda_simple.models import LambdaSimpleBackend

        if self._original is not None:
            LambdaSimpleBackend.invoke = self._original  # type: ignore[method-assign,assignment]
            self._original = None
        with self._lock:
            procs = list(self._procs.values())
        for proc in procs:
            kill_group(proc)
        for thread in self._threads:
            thread.join(timeout=15)

    def _invoke(self, function: Any, body: Any, headers: Any, response_headers: Any) -> bytes:
        kind = headers.get("X-Amz-Invocation-Type") or "RequestResponse"
        if isinstance(body, bytes):
            body = body.decode()
        event = json.loads(body or "{}")
        invocation = Invocation(function.function_name, kind, event)
        with self._lock:
            self.invocations.append(invocation)
        if kind == "DryRun":
            invocation.finished.set()
            return b""
        if kind == "Event":
            thread = threading.Thread(target=self._run, args=(function, invocation), daemon=True)
            self._threads.append(thread)
            thread.start()
            return b""
        self._run(function, invocation)
        if invocation.error:
            response_headers["x-amz-function-error"] = "Unhandled"
        if headers.get("X-Amz-Log-Type") == "Tail":
            tail = "\n".join(invocation.output).encode()[-4096:]
            response_headers["x-amz-log-result"] = base64.b64encode(tail).decode()
        return json.dumps(invocation.payload).encode()

    def _run(self, function: Any, invocation: Invocation) -> None:
        timeout = float(function.timeout or 3)
        try:
            with tempfile.TemporaryDirectory(prefix="fake-lambda-") as work:
                spec_path = os.path.join(work, "spec.json")
                result_path = os.path.join(work, "result.json")
                with open(spec_path, "w") as f:
                    json.dump(
                        {
                            "handler": function.handler,
                            "event": invocation.event,
                            "function_name": function.function_name,
                            "request_id": invocation.request_id,
                            "deadline": time.time() + timeout,
                            "memory": function.memory_size,
                        },
                        f,
                    )
                env = dict(os.environ)
                env.update(self.moto.environment())
                env.update({str(k): str(v) for k, v in (function.environment_vars or {}).items()})
                env.update(
                    AWS_LAMBDA_FUNCTION_NAME=function.function_name, AWS_LAMBDA_FUNCTION_TIMEOUT=str(int(timeout))
                )
                proc = subprocess.Popen(
                    [sys.executable, "-m", "covalent_aws.testing.lambda_bootstrap", spec_path, result_path],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    env=env,
                    cwd=work,
                    start_new_session=True,
                )
                invocation.pid = proc.pid
                with self._lock:
                    self._procs[invocation.request_id] = proc
                output = OutputCollector(proc.stdout)  # type: ignore[arg-type]
                try:
                    proc.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    kill_group(proc)
                    invocation.timed_out = True
                with self._lock:
                    self._procs.pop(invocation.request_id, None)
                invocation.output = output.join()
                invocation.returncode = proc.returncode
                if invocation.timed_out:
                    invocation.error = True
                    invocation.payload = {
                        "errorMessage": f"{invocation.request_id} Task timed out after {timeout:.2f} seconds",
                        "errorType": "Sandbox.Timedout",
                    }
                elif os.path.exists(result_path):
                    with open(result_path) as f:
                        result = json.load(f)
                    invocation.error = not result["ok"]
                    invocation.payload = result["payload"]
                else:
                    invocation.error = True
                    invocation.payload = {
                        "errorMessage": f"Runtime exited with status {proc.returncode}",
                        "errorType": "Runtime.ExitError",
                    }
        finally:
            invocation.finished.set()

    def wait_idle(self, timeout: float = 30.0) -> None:
        """Wait until every invocation so far has finished."""
        deadline = time.monotonic() + timeout
        for invocation in list(self.invocations):
            invocation.finished.wait(max(0.0, deadline - time.monotonic()))
