"""Named random streams and keyed draws: common random numbers that survive any roster.

Stream ``name`` of replication ``r`` under root ``seed`` is seeded by
``SeedSequence(seed, spawn_key=(r, crc32(name)))``: the same in every scenario, and adding a
stream never shifts the others.

:class:`KeyedDraws` addresses draws by a **key index** — a ticket's arrival index within its
category — instead of by the order in which events happen: row ``i`` of a table of draws
(one stream per field, drawn in blocks of :data:`BLOCK` rows in index order) is the same
whichever rows were asked for before, so a ticket's numbers for a purpose (its pass *k*, its
callback try *j*, its *j*-th meeting) are the same in every variant of a scenario, whatever
the queues did (``SeedSequence(root, spawn_key=(stream, arrival index, attempt, purpose))``
in effect, at the cost of one list lookup).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Sequence
from itertools import repeat
from typing import Any

import numpy as np

__all__ = ["BLOCK", "KeyedDraws", "Streams", "stream_seed"]

BLOCK = 256
SHIFT, MASK = 8, BLOCK - 1  # i >> SHIFT, i & MASK: the block of row i, its row in it


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


class KeyedDraws:
    """A table of draws, one row per key index, one column (stream) per field.

    ``row`` builds a row from its values (e.g. a ``NamedTuple._make``). ``fields`` are
    ``(name, dist)`` pairs: ``dist`` an object with ``sample(rng, size)`` (a
    ``fixed`` distribution costs no stream), or ``None`` for U(0, 1). Each row is read **once**
    (a ticket's pass, try or meeting); a block whose rows have all been read is freed, so a
    run's memory stays bounded. ``dense`` tables (read by every key: first passes) have a
    stream per field and build the rows of a block at once; sparse ones (second passes,
    retries, meetings: read by few keys) draw a block's fields one after the other from one
    stream (``prefix``) and build a row when it is read.
    """

    __slots__ = ("_arrays", "_cols", "_dense", "_last", "_last_left", "_last_rows", "_made",
                 "_make", "_rows", "_used", "n_fields")

    def __init__(self, streams: Streams, prefix: str, fields: Sequence[tuple[str, Any]],
                 *, dense: bool = True, row: Callable[[Iterable[float]], Any] = tuple) -> None:
        self._cols: list[tuple[np.random.Generator | None, Any]] = []
        shared = None if dense else streams.rng(prefix)
        for name, dist in fields:
            if getattr(dist, "dist", None) == "fixed":
                self._cols.append((None, float(dist.value)))
            else:
                self._cols.append((shared or streams.rng(f"{prefix}.{name}"), dist))
        self.n_fields = len(self._cols)
        self._dense = dense
        self._make = row
        self._made = 0  # blocks drawn so far (in index order)
        self._arrays: dict[int, np.ndarray] = {}
        self._rows: dict[int, list[Any]] = {}
        self._used: dict[int, int] = {}  # rows read of each open block (but the last one)
        self._last = -1  # the dense block read last, its rows and how many are still unread
        self._last_rows: list[Any] = []
        self._last_left = 0

    def __getitem__(self, i: int) -> Any:
        if i >> SHIFT == self._last:  # the usual case: the block being read
            row = self._last_rows[i & MASK]
            left = self._last_left = self._last_left - 1
            if not left:
                self._free(self._last)
            return row
        return self._read(i)

    def _read(self, i: int) -> Any:
        b, j = divmod(i, BLOCK)
        if not self._dense:
            used = self._used[b] = self._used.get(b, 0) + 1
            row = self._make(self._block(b)[:, j].tolist())
            if used == BLOCK:
                self._free(b)
            return row
        if self._last >= 0:  # leave the last block: remember how much of it was read
            self._used[self._last] = BLOCK - self._last_left
        rows = self._rows.get(b)
        if rows is None:
            rows = self._rows[b] = self._dense_rows(self._block(b))
            del self._arrays[b]
        self._last, self._last_rows = b, rows
        self._last_left = BLOCK - self._used.pop(b, 0)
        return self[i]

    def _dense_rows(self, arr: np.ndarray) -> list[Any]:
        """A block's rows; a fixed field shares one float object across the rows."""
        cols = [repeat(dist) if rng is None else arr[k].tolist()
                for k, (rng, dist) in enumerate(self._cols)]
        return list(map(self._make, zip(*cols, strict=False)))

    def _free(self, b: int) -> None:
        """Every row of block ``b`` has been read: let it go."""
        self._rows.pop(b, None)
        self._arrays.pop(b, None)
        self._used.pop(b, None)
        if self._last == b:
            self._last, self._last_rows, self._last_left = -1, [], 0

    def _block(self, b: int) -> np.ndarray:
        """Block ``b`` as an (n_fields, BLOCK) array, drawing the blocks before it first."""
        while self._made <= b:
            arr = np.empty((self.n_fields, BLOCK))
            for k, (rng, dist) in enumerate(self._cols):
                if rng is None:
                    arr[k] = dist
                elif dist is None:
                    arr[k] = rng.random(BLOCK)
                else:
                    arr[k] = dist.sample(rng, BLOCK)
            self._arrays[self._made] = arr
            self._made += 1
        return self._arrays[b]
