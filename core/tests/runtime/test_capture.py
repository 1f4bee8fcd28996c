"""What a task prints: captured per thread, and mirrored to live files while it runs when asked."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

from covalent.runtime.capture import FLUSH_SECONDS, captured, live_file, live_name
from covalent.runtime.execute import worker_name


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
