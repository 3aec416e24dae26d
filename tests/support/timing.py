"""Wall-clock timing of repeated calls, shared by the benchmarks of the demo's API."""

import time


def timed(call, n):
    """n wall-clock times of call() in ms."""
    times = []
    for _ in range(n):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return times
