"""``python -m covalent.runtime run PAYLOAD OUTCOME``: run one job from files.

Exit status 0 means OUTCOME was written (task failures are inside it);
anything else means the job itself failed, with the reason on stderr.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile

from covalent.runtime.execute import run_payload


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m covalent.runtime")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the job in PAYLOAD and write its outcome to OUTCOME")
    run.add_argument("payload")
    run.add_argument("outcome")
    args = parser.parse_args(argv)
    with open(args.payload, "rb") as f:
        payload = f.read()
    data = run_payload(payload)
    directory = os.path.dirname(os.path.abspath(args.outcome))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".outcome-")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, args.outcome)  # readers never see a half-written outcome
    return 0


if __name__ == "__main__":
    sys.exit(main())
