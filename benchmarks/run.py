"""Side-by-side benchmark: this project vs raw Dask futures vs a plain loop, same machine, same run.

    .venv/bin/python benchmarks/run.py            # the standard workloads
    .venv/bin/python benchmarks/run.py --quick    # small sizes (a smoke run)
    .venv/bin/python benchmarks/run.py --big      # also the 100,000-electron map
    .venv/bin/python benchmarks/run.py --huge     # also the 1,000,000-electron map (time, peak RSS, database)
    .venv/bin/python benchmarks/run.py --no-ray   # without the Ray column even where Ray is installed
    .venv/bin/python benchmarks/run.py --big-values --rounds 9   # only the big values, interleaved

Each workload runs three times on each side and the medians are compared.
Prints a table of ratios (this machine is shared and noisy: compare ratios,
not absolute times) and writes the raw figures to benchmarks/results.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import workloads as w  # noqa: E402
from harness import Ours, dir_stats, peak_rss, start_to_ready, timed  # noqa: E402
from interleaved import DaskPeer, Interleaved, interleaved_big_values  # noqa: E402
from peers import ray_available, ray_baselines  # noqa: E402

import covalent as ct  # noqa: E402

COVALENT_START_SECONDS = 11.0  # Covalent 0.240, this machine (the issue's figure)
COVALENT_ROUND_TRIP_SECONDS = 0.4  # ~400 ms per electron
REPEATS = 7  # samples of each redispatch (their median is reported)
RUNS = 3  # runs of each workload, ours and raw Dask alike (their median is reported)
SLEEP = 0.01  # seconds each task of the sleep map sleeps


def cases(quick: bool) -> list[tuple[str, Any, Any, Any, int, int]]:
    """(name, lattice, raw Dask version, plain loop, size, task count)."""
    chain, small, wide = (20, 100, 500) if quick else (200, 1000, 5000)
    diamond, leaves = (50, 64) if quick else (500, 1024)
    blob = (1 if quick else 100) * 1024 * 1024
    sleeps = 100 if quick else 1000
    scratch = tempfile.mkdtemp(prefix="covalent-bench-store-")
    return [
        (f"chain of {chain}", w.chain, w.dask_chain, w.loop_chain, chain, chain),
        (f"wide map of {small} + reduce", w.wide, w.dask_wide, w.loop_wide, small, small + 1),
        (f"wide map of {wide} + reduce", w.wide, w.dask_wide, w.loop_wide, wide, wide + 1),
        (f"diamond 1 -> {diamond} -> 1", w.diamond, w.dask_diamond, w.loop_diamond, diamond, diamond + 2),
        (f"tree reduction of {leaves} leaves", w.tree, w.dask_tree, w.loop_tree, leaves, 2 * leaves - 1),
        ("1-electron round trip", w.single, w.dask_single, w.loop_single, 1, 1),
        (f"{blob >> 20} MB value between two electrons", w.big_value, w.dask_big_value, w.loop_big_value, blob, 2),
        # The floor across executors is one copy through a store (pickled, written, read, unpickled).
        (
            f"{blob >> 20} MB value, dask -> local",
            w.big_value_across,
            w.dask_big_value,
            lambda n: w.store_copy_big_value(n, scratch),
            blob,
            2,
        ),
        (
            f"sleep map of {sleeps} x 10 ms + reduce",
            w.sleep_map,
            w.dask_sleep_map,
            w.loop_sleep_map,
            sleeps,
            sleeps + 1,
        ),
    ]


def run_baselines(client: Any, quick: bool) -> dict[str, tuple[float, float, Any]]:
    """Raw Dask and plain-loop seconds (and value) of every workload."""
    baselines = {}
    for name, _lattice, dask_fn, loop_fn, size, _tasks in cases(quick):
        dask_seconds, dask_value = median_of_runs(lambda fn=dask_fn, n=size: fn(client, n))
        loop_seconds, loop_value = median_of_runs(lambda fn=loop_fn, n=size: fn(n))
        assert dask_value == loop_value, (name, dask_value, loop_value)
        baselines[name] = (dask_seconds, loop_seconds, dask_value)
    return baselines


def unqueued_maps(args: argparse.Namespace) -> dict[str, float]:
    """Raw Dask's wide maps with root-task queuing off (``worker-saturation: inf``).

    By default Dask's scheduler hands a wide map's tasks to the workers a few at
    a time, one scheduler round trip per task; without queuing it sends them all
    at once, which is 3x faster for no-op tasks.  Both are "raw Dask futures",
    so the harness reports both.
    """
    import dask
    from distributed import Client, LocalCluster

    with (
        dask.config.set({"distributed.scheduler.worker-saturation": float("inf")}),
        LocalCluster(
            n_workers=args.workers, threads_per_worker=args.threads, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        w.dask_chain(client, 20)  # warm the workers as the main baselines are
        return {
            name: median_of_runs(lambda fn=dask_fn, n=size: fn(client, n))[0]
            for name, lattice, dask_fn, _loop, size, _tasks in cases(args.quick)
            if lattice is w.wide
        }


def median_of_runs(fn: Any) -> tuple[float, Any]:
    """Median seconds of RUNS calls of ``fn``, and its value."""
    samples = [timed(fn) for _ in range(RUNS)]
    return statistics.median(seconds for seconds, _ in samples), samples[0][1]


def run_case(
    ours: Ours, baseline: tuple[float, float, Any], case: tuple[str, Any, Any, Any, int, int]
) -> dict[str, Any]:
    name, lattice, _dask_fn, _loop_fn, size, tasks = case
    dask_seconds, loop_seconds, value = baseline
    runs = [ours.run(lattice, size) for _ in range(RUNS)]
    # Times are medians; disk and files are the first run's (later runs of the
    # same inputs store nothing new: blobs are content-addressed).
    mine = dict(runs[0])
    for key in ("seconds", "dispatch_returned", "server_cpu"):
        mine[key] = statistics.median(r[key] for r in runs)
    assert mine["result"] == value, (name, mine["result"], value)
    print(f"  {name}: ours {mine['seconds']:.3f} s, dask {dask_seconds:.3f} s, loop {loop_seconds:.4f} s", flush=True)
    return {"workload": name, "tasks": tasks, "ours": mine, "dask": dask_seconds, "loop": loop_seconds}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument("--big", action="store_true", help="also run the 100,000-electron map")
    parser.add_argument("--huge", action="store_true", help="also run the 1,000,000-electron map")
    parser.add_argument("--no-ray", action="store_true", help="leave out the Ray column")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--big-values", action="store_true", help="only the big values, ours and baselines interleaved")
    parser.add_argument("--rounds", type=int, default=0, help="rounds of the interleaved big values (7; quick 3)")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="covalent-bench-"))
    if args.big_values:
        for found in big_values(root, args):
            print(found.line())
        return
    from distributed import Client, LocalCluster

    # Raw Dask first, then ours, one after the other: a LocalCluster's scheduler
    # runs in a thread of this process, and left running it would take the GIL
    # from our client while ours is timed (measured: +6 ms on the round trip).
    with (
        LocalCluster(
            n_workers=args.workers, threads_per_worker=args.threads, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        baselines = run_baselines(client, args.quick)
        dask_trips = sorted(timed(lambda i=i: w.dask_single(client, i))[0] for i in range(21))
        dask_small = timed(lambda: [w.dask_three(client, i) for i in range(small_count(args))])[0]
    unqueued = unqueued_maps(args)
    ray = ray_figures(args)
    with Ours(root / "ours", args.workers, args.threads) as ours:
        rows = [run_case(ours, baselines[case[0]], case) for case in cases(args.quick)]
        chain = rows[0]["ours"]

        def reuse() -> Any:
            new_id = ct.redispatch(chain["dispatch_id"], reuse_previous_results=True)()
            return ct.get_result(new_id, wait=True, progress=False)

        reuse_seconds = statistics.median(timed(reuse)[0] for _ in range(REPEATS))
        # The same with electrons that do 10 ms of work, where the run is not all overhead.
        sleepy = ours.run(w.sleepy_chain, 100 if args.quick else 200)
        sleepy_reuse = statistics.median(
            timed(
                lambda: ct.get_result(
                    ct.redispatch(sleepy["dispatch_id"], reuse_previous_results=True)(), wait=True, progress=False
                )
            )[0]
            for _ in range(REPEATS)
        )
        round_trips = sorted(ours.run(w.single, i)["seconds"] for i in range(21))
        # Dispatched and waited for as a user would, like the peers' loops: Ours.run's own
        # bookkeeping (data directory and CPU readings around each run) is not timed.
        small_seconds = timed(lambda: [ours.result(w.three, i) for i in range(small_count(args))])[0]
        big = huge_run(ours, 100_000) if args.big else None
        huge = huge_run(ours, 1_000_000) if args.huge else None
    interleaved = big_values(root, args)
    starts = [start_to_ready(root / f"start{i}") for i in range(5)]
    single = {"ours_median": round_trips[10], "dask_median": dask_trips[10]}
    sleepy_reuse_share = sleepy_reuse / sleepy["seconds"]
    report(rows, reuse_seconds, chain["seconds"], starts, big, single, sleepy_reuse_share, sleepy["seconds"])
    report_unqueued(rows, unqueued)
    small = {"ours": small_seconds, "dask": dask_small, "ray": ray.get("small_workflows"), "count": small_count(args)}
    report_issue21(rows, small, single, ray, huge, args)
    for found in interleaved:
        print(found.line())
    results = {
        "big_values_interleaved": [found.as_dict() for found in interleaved],
        "rows": rows,
        "dask_without_queuing": unqueued,
        "reuse_seconds": reuse_seconds,
        "start_seconds": starts,
        "big": big,
        "huge": huge,
        "small_workflows": small,
        "ray": ray,
        "round_trip": single,
        "sleepy_chain": {"seconds": sleepy["seconds"], "reuse_seconds": sleepy_reuse},
    }
    (HERE / "results.json").write_text(json.dumps(results, indent=2, default=str))


def big_values(root: Path, args: argparse.Namespace) -> list[Interleaved]:
    """Both big-value workloads, each against its baseline in alternating rounds of this run (see interleaved)."""
    size = (1 if args.quick else 100) * 1024 * 1024
    rounds = args.rounds or (3 if args.quick else 7)
    with Ours(root / "interleaved", args.workers, args.threads) as ours, DaskPeer(args.workers, args.threads) as peer:
        return interleaved_big_values(ours, peer, size, rounds, tempfile.mkdtemp(prefix="covalent-bench-store-"))


def small_count(args: argparse.Namespace) -> int:
    """How many small 3-task workflows run one after another."""
    return 20 if args.quick else 200


def ray_figures(args: argparse.Namespace) -> dict[str, float]:
    """Ray's medians by workload kind, or nothing when Ray is not installed (or ``--no-ray``)."""
    if args.no_ray or not ray_available():
        return {}
    cases_by = {c[1]: c for c in cases(args.quick)}
    sizes = {
        "big": cases_by[w.big_value][4],
        "sleep_map": cases_by[w.sleep_map][4],
        "wide": [c for c in cases(args.quick) if c[1] is w.wide][-1][4],
    }
    return ray_baselines(args.workers * args.threads, sizes, RUNS, small_count(args))


def huge_run(ours: Ours, n: int) -> dict[str, Any]:
    """An ``n``-electron map: time, time until ``ct.dispatch`` returned, server peak RSS, database size."""
    found = ours.run(w.wide, n)
    found.pop("result")
    found["server_peak_rss"] = peak_rss(ours.pid)
    found["data_bytes"] = dir_stats(ours.server.data_dir)[0]
    found["database_bytes"] = sum(p.stat().st_size for p in ours.server.data_dir.glob("covalent.db*") if p.is_file())
    return found


def report_issue21(
    rows: list[dict[str, Any]],
    small: dict[str, Any],
    single: dict[str, float],
    ray: dict[str, float],
    huge: dict[str, Any] | None,
    args: argparse.Namespace,
) -> None:
    """The data path and latency figures: big values, small workflows, the sleep map's efficiency, --huge."""
    print()
    for row in rows:
        if "MB value" in row["workload"]:
            ours, dask = row["ours"]["seconds"], row["dask"]
            across = "dask -> local" in row["workload"]
            floor = f"one store copy {row['loop']:.3f} s, ours/copy {ours / row['loop']:.2f}" if across else ""
            peer = f", ray {ray['big']:.3f} s" if "big" in ray else ""
            print(
                f"{row['workload']}: ours {ours:.3f} s, raw Dask {dask:.3f} s "
                f"(ours/dask {ours / dask:.2f}){peer} {floor}"
            )
    n = small["count"]
    peer = (
        f", ray {small['ray'] / n * 1000:.1f} ms (ours/ray {small['ours'] / small['ray']:.2f})" if small["ray"] else ""
    )
    print(
        f"{n} small 3-task workflows one after another: ours {small['ours'] / n * 1000:.1f} ms each, "
        f"raw Dask {small['dask'] / n * 1000:.1f} ms{peer}"
    )
    if "single" in ray:
        print(f"1-electron round trip: ours {single['ours_median'] * 1000:.1f} ms, ray {ray['single'] * 1000:.1f} ms")
    sleep_row = next(row for row in rows if row["workload"].startswith("sleep map"))
    slots = args.workers * args.threads
    floor = (sleep_row["tasks"] - 1) * SLEEP / slots
    for who, seconds in (
        ("ours", sleep_row["ours"]["seconds"]),
        ("raw Dask", sleep_row["dask"]),
        ("ray", ray.get("sleep_map")),
    ):
        if seconds:
            print(f"{sleep_row['workload']} on {slots} slots: {who} {seconds:.2f} s, efficiency {floor / seconds:.3f}")
    if "wide" in ray:
        wide = [row for row in rows if row["workload"].startswith("wide map")][-1]
        print(f"{wide['workload']}: ray {ray['wide']:.3f} s (ours/ray {wide['ours']['seconds'] / ray['wide']:.2f})")
    if huge:
        print(
            f"1,000,000-electron map: {huge['seconds']:.1f} s "
            f"(ct.dispatch returned after {huge['dispatch_returned']:.1f} s), "
            f"server peak RSS {huge['server_peak_rss'] / 2**20:.0f} MiB, "
            f"database {huge['database_bytes'] / 2**20:.0f} MiB, "
            f"data dir {huge['data_bytes'] / 2**20:.0f} MiB"
        )


def report(
    rows: list[dict[str, Any]],
    reuse: float,
    original: float,
    starts: list[float],
    big: dict[str, Any] | None,
    single: dict[str, float],
    sleepy_share: float,
    sleepy_seconds: float,
) -> None:
    header = (
        "workload",
        "tasks",
        "ours/dask",
        "ours/loop",
        "tasks/s",
        "dask t/s",
        "dispatch",
        "srv cpu/t",
        "disk B/n",
        "files",
    )
    print("\n{:38} {:>6} {:>9} {:>9} {:>8} {:>8} {:>9} {:>10} {:>9} {:>6}".format(*header))
    for row in rows:
        o, tasks = row["ours"], row["tasks"]
        print(
            f"{row['workload']:38} {tasks:>6} {o['seconds'] / row['dask']:>9.2f} "
            f"{o['seconds'] / max(row['loop'], 1e-9):>9.0f} {tasks / o['seconds']:>8.0f} "
            f"{tasks / row['dask']:>8.0f} {o['dispatch_returned'] * 1000:>7.0f}ms "
            f"{o['server_cpu'] / tasks * 1000:>8.2f}ms {o['disk_bytes_per_node']:>9.0f} {o['object_files']:>6}"
        )
    chain = rows[0]
    start = min(starts)
    start_median = statistics.median(starts)
    print()
    print(
        f"chain: {chain['ours']['seconds'] / chain['tasks'] * 1000:.2f} ms per task "
        f"(raw Dask {chain['dask'] / chain['tasks'] * 1000:.2f} ms)"
    )
    print(
        f"`covalent start` (the command, default settings, fresh data) to ready: {start:.2f} s "
        f"(best of {len(starts)}; median {start_median:.2f} s) = "
        f"{COVALENT_START_SECONDS / start:.0f}x faster than Covalent's 11 s "
        f"(median: {COVALENT_START_SECONDS / start_median:.0f}x)"
    )
    ours_rt = single["ours_median"]
    print(
        f"1-electron round trip (median of 21): {ours_rt * 1000:.1f} ms = "
        f"{COVALENT_ROUND_TRIP_SECONDS / ours_rt:.0f}x faster than Covalent's 400 ms "
        f"(raw Dask single task: {single['dask_median'] * 1000:.1f} ms)"
    )
    print(
        f"redispatch of the no-op chain with full reuse (median of {REPEATS}): "
        f"{reuse / original * 100:.1f}% of the original run's time"
    )
    print(
        f"redispatch of a chain of 10 ms electrons ({sleepy_seconds:.2f} s) with full reuse (median of {REPEATS}): "
        f"{sleepy_share * 100:.1f}% of the original run's time"
    )
    if big:
        print(
            f"100,000-electron map: {big['seconds']:.1f} s "
            f"(ct.dispatch returned after {big['dispatch_returned']:.1f} s), "
            f"server peak RSS {big['server_peak_rss'] / 2**20:.0f} MiB, data dir {big['data_bytes'] / 2**20:.0f} MiB"
        )


def report_unqueued(rows: list[dict[str, Any]], unqueued: dict[str, float]) -> None:
    for row in rows:
        if row["workload"] in unqueued:
            dask, ours = unqueued[row["workload"]], row["ours"]["seconds"]
            print(
                f"{row['workload']}, raw Dask with queuing off: {row['tasks'] / dask:.0f} tasks/s, "
                f"ours/dask {ours / dask:.2f} (ours {row['tasks'] / ours:.0f} tasks/s)"
            )


if __name__ == "__main__":
    main()
