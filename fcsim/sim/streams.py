"""Named random streams: one ``numpy.random.Generator`` per source of randomness.

Stream ``name`` of replication ``r`` under root ``seed`` is seeded by
``SeedSequence(seed, spawn_key=(r, crc32(name)))``: the same in every scenario (common random
numbers), and adding a stream never shifts the others. :class:`Sampler` buffers draws of one
distribution from one stream, so a draw costs a list step rather than a numpy call.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

__all__ = ["Sampler", "Streams", "stream_seed"]

_BATCH = 512


def stream_seed(seed: int, replication: int, name: str) -> np.random.SeedSequence:
    """The seed sequence of stream ``name`` in replication ``replication``."""
    return np.random.SeedSequence(seed, spawn_key=(replication, zlib.crc32(name.encode())))


class Streams:
    """Lazily created named generators of one replication."""

    def __init__(self, seed: int, replication: int) -> None:
        self.seed = seed
        self.replication = replication
        self._rngs: dict[str, np.random.Generator] = {}

    def rng(self, name: str) -> np.random.Generator:
        """The generator of stream ``name`` (created on first use)."""
        g = self._rngs.get(name)
        if g is None:
            g = np.random.Generator(np.random.PCG64(stream_seed(self.seed, self.replication,
                                                                 name)))
            self._rngs[name] = g
        return g

    def sampler(self, name: str, dist: Any) -> Callable[[], float]:
        """A buffered sampler of ``dist`` (an object with ``sample(rng, size)``) on ``name``."""
        value = getattr(dist, "value", None)
        if getattr(dist, "dist", None) == "fixed" and value is not None:
            v = float(value)
            return lambda: v
        return Sampler(self.rng(name), dist)

    def uniform(self, name: str) -> Callable[[], float]:
        """A buffered U(0, 1) sampler on stream ``name``."""
        return Sampler(self.rng(name), None)


class Sampler:
    """Draws one value at a time from batches of ``_BATCH`` draws (``dist=None``: U(0, 1))."""

    __slots__ = ("_dist", "_it", "_rng")

    def __init__(self, rng: np.random.Generator, dist: Any) -> None:
        self._rng = rng
        self._dist = dist
        self._it: Iterator[float] = iter(())

    def __call__(self) -> float:
        try:
            return next(self._it)
        except StopIteration:
            if self._dist is None:
                batch = self._rng.random(_BATCH)
            else:
                batch = np.asarray(self._dist.sample(self._rng, _BATCH), dtype=float)
            self._it = iter(batch.tolist())
            return next(self._it)
