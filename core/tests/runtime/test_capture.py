"""What a task prints: captured per thread, and mirrored to live files while it runs when asked."""

from __future__ import annotations

import os
import pickle
import sys
import threading
import time
from pathlib import Path
from typing import Any

import cloudpickle
import pytest

from covalent.runtime.capture import FLUSH_SECONDS, captured, live_file, live_name
from covalent.runtime.execute import execute_job, worker_name
from covalent.runtime.outcome import NodeOutcome
from covalent.runtime.spec import JobSpec, NodeSpec, Ref
from covalent.status import Status


def test_each_thread_captures_its_own_output() -> None:
    seen: dict[str, str] = {}

    def task(name: str) -> None:
        with captured() as streams:
            for _ in range(50):
                print(name)
            print(f"{name}!", file=sys.stderr)
        seen[name] = streams["stdout"].getvalue() + streams["stderr"].getvalue()

    threads = [threading.Thread(target=task, args=(f"t{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i in range(4):
        assert seen[f"t{i}"] == f"t{i}\n" * 50 + f"t{i}!\n"


def test_a_running_task_s_output_is_mirrored_live_and_removed_at_its_end(tmp_path: Path) -> None:
    name = live_name("dispatch-1", 7)
    out = Path(live_file(str(tmp_path), name, "stdout"))
    err = Path(live_file(str(tmp_path), name, "stderr"))
    with captured((str(tmp_path), name)) as streams:
        assert not out.exists()  # nothing printed yet: no file
        print("first line")
        print("second line")
        time.sleep(2 * FLUSH_SECONDS + 0.1)  # the task goes on working: what it printed shows meanwhile
        assert out.read_text() == "first line\nsecond line\n"
        print("oops", file=sys.stderr)
        time.sleep(2 * FLUSH_SECONDS + 0.1)
        assert err.read_text() == "oops\n"
    assert not out.exists() and not err.exists()
    assert streams["stdout"].getvalue() == "first line\nsecond line\n"


def test_no_live_folder_here_means_capture_only(tmp_path: Path) -> None:
    missing = tmp_path / "not-on-this-machine"
    with captured((str(missing), live_name("d", 1))) as streams:
        print("hello")
    assert streams["stdout"].getvalue() == "hello\n" and not missing.exists()


def test_the_worker_is_this_host_and_process() -> None:
    assert worker_name().endswith(f":{os.getpid()}") and worker_name().count(":") >= 1


def _prints_at_the_end(n: int) -> int:
    total = sum(range(n))
    print(f"total {total}")
    return total


def _prints_nothing(n: int) -> int:
    return n + 1


def _prints_then_fails(n: int) -> int:
    print("before the error", file=sys.stderr)
    raise ValueError(f"bad {n}")


def _run(tmp_path: Path, function: Any, *, live: bool = True) -> NodeOutcome:
    spec = JobSpec(
        "dispatch-c",
        [NodeSpec(3, function.__name__, "electron", "f", args=[Ref(blob="n")])],
        {"f": cloudpickle.dumps(function)},
        {"n": pickle.dumps(10)},
        live_output=str(tmp_path) if live else "",
    )
    (node,) = execute_job(spec).nodes
    return node


@pytest.mark.parametrize("live", [True, False], ids=["live folder", "no live folder"])
def test_a_task_that_prints_only_at_its_end_has_all_of_it_and_no_live_file_left(tmp_path: Path, live: bool) -> None:
    node = _run(tmp_path, _prints_at_the_end, live=live)
    assert node.status == Status.COMPLETED, node.error
    assert (node.stdout, node.stderr) == ("total 45\n", "")
    assert list(tmp_path.iterdir()) == []


def test_a_task_that_prints_nothing_has_empty_streams_and_makes_no_buffer_or_file(tmp_path: Path) -> None:
    node = _run(tmp_path, _prints_nothing)
    assert node.status == Status.COMPLETED and pickle.loads(node.output) == 11
    assert (node.stdout, node.stderr) == ("", "")
    with captured((str(tmp_path), live_name("d", 2))) as streams:
        pass
    assert (streams.stdout, streams.stderr) == (None, None)  # nothing written: no buffer made
    assert (streams.text("stdout"), streams.text("stderr")) == ("", "")
    assert list(tmp_path.iterdir()) == []


def test_a_failing_task_keeps_what_it_printed_and_its_traceback(tmp_path: Path) -> None:
    node = _run(tmp_path, _prints_then_fails)
    assert node.status == Status.FAILED and node.stdout == ""
    assert node.stderr.startswith("before the error\n") and node.stderr.endswith(node.error)
    assert "ValueError: bad 10" in node.error and "_prints_then_fails" in node.error
    assert list(tmp_path.iterdir()) == []


def test_output_goes_to_the_process_streams_again_after_a_capture(capfd: pytest.CaptureFixture[str]) -> None:
    with captured() as streams:
        print("inside")
        sys.stdout.flush()
    print("outside")
    sys.stdout.flush()
    assert streams.text("stdout") == "inside\n" and streams.stderr is None
    assert "outside" in capfd.readouterr().out
