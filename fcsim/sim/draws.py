"""Per-pass random draws, in blocks: every duration and decision of one pass of a ticket.

Each category has its own :class:`PassDraws`; each field has its own named stream
(``"<field>.<category>"``). A pass takes the next row, whether or not it uses every value, so
a ticket's numbers never depend on queue states: the same ticket gets the same numbers in
every scenario variant (common random numbers). Drawing a block of rows at once with numpy
keeps the cost per pass to a tuple.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

from fcsim.sim.streams import Streams

__all__ = ["DURATION_FIELDS", "UNIFORM_FIELDS", "Pass", "PassDraws"]

_BLOCK = 256


class Pass(NamedTuple):
    """The draws of one pass (durations in minutes; ``u_*`` are U(0, 1) decisions)."""

    relay: float
    record: float
    emergency_record: float
    classify: float
    dispatch: float
    misroute_return: float
    redispatch: float
    precall: float
    sign: float
    callout: float
    travel: float
    early_arrival: float
    diagnose: float
    plan: float
    communicate: float
    work: float
    escalate: float
    supervisor_resolve: float
    acceptance: float
    slip_return: float
    callback: float
    close: float
    sample_delay: float
    u_record_error: float
    u_misroute: float
    u_block: float
    u_block_at: float
    u_resolve: float
    u_reject: float
    u_unreachable: float
    u_satisfaction: float
    u_sample: float


UNIFORM_FIELDS: tuple[str, ...] = tuple(f for f in Pass._fields if f.startswith("u_"))
DURATION_FIELDS: tuple[str, ...] = tuple(f for f in Pass._fields if not f.startswith("u_"))


class PassDraws:
    """Rows of :class:`Pass` for one category, drawn ``_BLOCK`` at a time."""

    def __init__(self, streams: Streams, category: str, dists: Mapping[str, Any]) -> None:
        missing = set(DURATION_FIELDS) - set(dists)
        if missing:
            raise ValueError(f"no distribution for {sorted(missing)}")
        self._cols: list[tuple[Any, Any]] = []
        for f in Pass._fields:
            dist: Any = None if f.startswith("u_") else dists[f]
            if getattr(dist, "dist", None) == "fixed":
                self._cols.append((None, float(dist.value)))
            else:
                self._cols.append((streams.rng(f"{f}.{category}"), dist))
        self._it: Iterator[Pass] = iter(())

    def __call__(self) -> Pass:
        try:
            return next(self._it)
        except StopIteration:
            cols = []
            for rng, dist in self._cols:
                if rng is None:
                    cols.append([dist] * _BLOCK)
                elif dist is None:
                    cols.append(rng.random(_BLOCK).tolist())
                else:
                    cols.append(dist.sample(rng, _BLOCK).tolist())
            self._it = map(Pass._make, zip(*cols, strict=True))
            return next(self._it)
