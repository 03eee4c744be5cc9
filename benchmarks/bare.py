"""The bare SimPy M/M/c the simulator's benchmarks compare with (numpy and SimPy only, so
that it starts fast under valgrind, ``bench_instructions.py``)."""

from __future__ import annotations

from typing import Any

import numpy as np
import simpy

__all__ = ["bare_mmc"]


def bare_mmc(n_customers: int, lam: float, mu: float, c: int, seed: int) -> int:
    """A minimal SimPy M/M/c: returns the number of SimPy events processed."""
    rng = np.random.default_rng(seed)
    gaps = rng.exponential(1 / lam, n_customers).tolist()
    services = rng.exponential(1 / mu, n_customers).tolist()
    env = simpy.Environment()
    server = simpy.Resource(env, capacity=c)
    waits: list[float] = []

    def customer(i: int) -> Any:
        t = env.now
        with server.request() as req:
            yield req
            waits.append(env.now - t)
            yield env.timeout(services[i])

    def source() -> Any:
        for i in range(n_customers):
            yield env.timeout(gaps[i])
            env.process(customer(i))

    env.process(source())
    steps = 0
    try:
        while True:
            env.step()
            steps += 1
    except simpy.core.EmptySchedule:
        pass
    return steps
