"""``python -m covalent_aws.testing.lambda_bootstrap SPEC RESULT``: one Lambda invocation.

What a Lambda runtime does for one event: import the function's handler
(``module.function``), call it with the event and a context whose
``get_remaining_time_in_millis()`` counts down to the invocation's deadline
(its start plus the function's timeout),
and write the handler's JSON answer (or the error Lambda would report) to
RESULT.  Run by :class:`~covalent_aws.testing.FakeLambdaRuntime`.
"""

from __future__ import annotations

import importlib
import json
import sys
import time
import traceback
from typing import Any

__all__ = ["LambdaContext", "main"]


class LambdaContext:
    """The parts of Lambda's context object handlers use."""

    def __init__(self, function_name: str, request_id: str, deadline: float, memory: int) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.aws_request_id = request_id
        self.memory_limit_in_mb = memory
        self._deadline = deadline

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.time()) * 1000))


def main(argv: list[str]) -> int:
    spec_path, result_path = argv
    with open(spec_path) as f:
        spec = json.load(f)
    context = LambdaContext(
        spec["function_name"], spec["request_id"], float(spec["deadline"]), int(spec.get("memory", 128))
    )
    try:
        module_name, _, attribute = spec["handler"].rpartition(".")
        handler: Any = getattr(importlib.import_module(module_name), attribute)
        answer = handler(spec["event"], context)
        result = {"ok": True, "payload": answer}
    except Exception as exc:
        result = {
            "ok": False,
            "payload": {
                "errorMessage": str(exc),
                "errorType": type(exc).__name__,
                "stackTrace": traceback.format_tb(exc.__traceback__),
            },
        }
        traceback.print_exc()
    with open(result_path, "w") as f:
        json.dump(result, f, default=str)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
