"""glibc's allocator is set by the server: a fixed mmap threshold (big blocks go back to the system when freed)."""

from __future__ import annotations

import subprocess
import sys

from covalent.server.allocator import MMAP_THRESHOLD


def test_glibc_takes_the_settings_and_freed_big_blocks_leave_the_process():
    script = f"""
import ctypes, gc
from covalent.server.allocator import tune_allocator

def rss():
    for line in open("/proc/self/status"):
        if line.startswith("RssAnon:"):
            return int(line.split()[1]) * 1024

assert tune_allocator()
big = [bytes(8 * 1024 * 1024) for _ in range(4)]
del big  # with glibc's own setting this raises its threshold to 8 MiB ...
gc.collect()
before = rss()
blocks, kept = [], []
for _ in range(400):  # ... and these 200 MiB would come from its heap, each held there by a small block after it
    blocks.append(bytearray({MMAP_THRESHOLD} * 4))
    kept.append(bytearray(1000))
del blocks
gc.collect()
print(rss() - before)
"""
    grown = int(subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout)
    assert grown < 50 * 2**20, grown
