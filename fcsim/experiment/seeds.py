"""Seeds of an experiment: one root seed, one seed sequence per replication.

Replication *i* of every scenario is simulated with ``simulate(scenario, seed=root,
replication=i)``; the simulator seeds its random stream ``name`` with
``SeedSequence(root, spawn_key=(i, crc32(name)))`` (:mod:`fcsim.sim.streams`): a descendant of
:func:`replication_seed` ``(root, i) = SeedSequence(root, spawn_key=(i,))`` that depends on
neither the scenario nor the worker. So replication *i* draws the same random numbers in every
scenario (**common random numbers**, which make paired scenario differences sharp), and the
results are identical for any number of workers.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["check_seed", "replication_seed", "replication_seeds"]


def check_seed(seed: object) -> int:
    """``seed`` as a non-negative ``int``; a clear :class:`ValueError` otherwise."""
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or int(seed) < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    return int(seed)


def replication_seed(seed: int, replication: int) -> np.random.SeedSequence:
    """The seed sequence of replication ``replication`` under root ``seed``.

    Equal to ``SeedSequence(seed).spawn(replication + 1)[replication]``.
    """
    if isinstance(replication, bool) or not isinstance(replication, int | np.integer) \
            or replication < 0:
        raise ValueError(f"replication must be a non-negative integer, got {replication!r}")
    return np.random.SeedSequence(check_seed(seed), spawn_key=(int(replication),))


def replication_seeds(seed: int, replications: int) -> list[dict[str, Any]]:
    """The manifest's record of every replication's seed: ``entropy``, ``spawn_key`` and the
    first 32-bit word of its state (a fingerprint that changes with either)."""
    if replications < 1:
        raise ValueError(f"replications must be >= 1, got {replications}")
    out = []
    for i in range(replications):
        ss = replication_seed(seed, i)
        out.append({"replication": i, "entropy": int(ss.entropy),  # type: ignore[arg-type]
                    "spawn_key": list(ss.spawn_key),
                    "state0": int(ss.generate_state(1, dtype=np.uint32)[0])})
    return out
