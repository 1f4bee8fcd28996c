"""The benchmark workloads, each written three ways: covalent, raw Dask futures, a plain loop."""

from __future__ import annotations

import covalent as ct


def noop(x=None, *rest):
    return x


def sleepy(x=None, seconds=0.01):
    import time

    time.sleep(seconds)
    return x


def total(values):
    return sum(v or 0 for v in values)


def pair_sum(a, b):
    return (a or 0) + (b or 0)


def make_blob(size):
    return b"\x01" * size


def blob_len(data):
    return len(data)


c_noop = ct.electron(noop)
c_total = ct.electron(total)
c_pair = ct.electron(pair_sum)
c_make_blob = ct.electron(make_blob)
c_blob_len = ct.electron(blob_len)


def _linked(step, n):
    """``n`` calls of ``step``, each taking the previous one's output (inside a lattice)."""
    value = step(0)
    for _ in range(n - 1):
        value = step(value)
    return value


@ct.lattice
def chain(n):
    return _linked(c_noop, n)


c_sleepy = ct.electron(sleepy)


@ct.lattice
def sleepy_chain(n):
    return _linked(c_sleepy, n)


@ct.lattice
def wide(n):
    return c_total([c_noop(i) for i in range(n)])


@ct.lattice
def diamond(n):
    root = c_noop(1)
    return c_total([c_noop(root) for _ in range(n)])


@ct.lattice
def tree(leaves):
    level = [c_noop(i) for i in range(leaves)]
    while len(level) > 1:
        level = [c_pair(level[i], level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]


@ct.lattice
def single(x):
    return c_noop(x)


@ct.lattice
def big_value(size):
    return c_blob_len(c_make_blob(size))


# -- raw Dask futures ------------------------------------------------------------
def dask_chain(client, n):
    future = client.submit(noop, 0, pure=False)
    for _ in range(n - 1):
        future = client.submit(noop, future, pure=False)
    return future.result()


def dask_wide(client, n):
    futures = client.map(noop, range(n), pure=False)
    return client.submit(total, futures, pure=False).result()


def dask_diamond(client, n):
    root = client.submit(noop, 1, pure=False)
    middle = [client.submit(noop, root, pure=False) for _ in range(n)]
    return client.submit(total, middle, pure=False).result()


def dask_tree(client, leaves):
    level = client.map(noop, range(leaves), pure=False)
    while len(level) > 1:
        level = [client.submit(pair_sum, level[i], level[i + 1], pure=False) for i in range(0, len(level), 2)]
    return level[0].result()


def dask_single(client, x):
    return client.submit(noop, x, pure=False).result()


def dask_big_value(client, size):
    return client.submit(blob_len, client.submit(make_blob, size, pure=False), pure=False).result()


# -- the floor: a plain Python loop ------------------------------------------------
def loop_chain(n):
    value = noop(0)
    for _ in range(n - 1):
        value = noop(value)
    return value


def loop_wide(n):
    return total([noop(i) for i in range(n)])


def loop_diamond(n):
    root = noop(1)
    return total([noop(root) for _ in range(n)])


def loop_tree(leaves):
    level = [noop(i) for i in range(leaves)]
    while len(level) > 1:
        level = [pair_sum(level[i], level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]


def loop_single(x):
    return noop(x)


def loop_big_value(size):
    return blob_len(make_blob(size))


# -- the data path and latency workloads (issue 21) ------------------------------------
c_blob_len_local = ct.electron(blob_len, executor="local")


@ct.lattice
def big_value_across(size):
    """A value made on Dask and read by a task on the local executor."""
    return c_blob_len_local(c_make_blob(size))


def inc(x):
    return (x or 0) + 1


c_inc = ct.electron(inc)


@ct.lattice
def three(x):
    return c_inc(c_inc(c_inc(x)))


@ct.lattice
def sleep_map(n):
    return c_total([c_sleepy(i) for i in range(n)])


def dask_three(client, x):
    a = client.submit(inc, x, pure=False)
    b = client.submit(inc, a, pure=False)
    return client.submit(inc, b, pure=False).result()


def dask_sleep_map(client, n):
    futures = client.map(sleepy, range(n), pure=False)
    return client.submit(total, futures, pure=False).result()


def loop_three(x):
    return inc(inc(inc(x)))


def loop_sleep_map(n):
    """The value only: the sleep map's floor is computed (n x 10 ms over the worker slots), not slept."""
    return total(list(range(n)))


def store_copy_big_value(size, folder):
    """The floor across executors: the value pickled, written to a file, read back and unpickled once."""
    import os
    import pickle

    path = os.path.join(folder, "value.bin")
    with open(path, "wb") as f:
        f.write(pickle.dumps(make_blob(size), protocol=pickle.HIGHEST_PROTOCOL))
    with open(path, "rb") as f:
        value = pickle.loads(f.read())
    os.unlink(path)
    return blob_len(value)
