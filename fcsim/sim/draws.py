"""A ticket's random numbers, keyed by the ticket, the attempt and the purpose.

Each category has one :class:`TicketDraws`. A ticket with arrival index ``i`` (within its
category) reads its pass-*k* row (every duration and decision of that pass), its callback
try *j* and its *j*-th manager meeting from tables keyed by ``i`` (:class:`~fcsim.sim.streams.
KeyedDraws`), so the same ticket gets the same numbers in every variant of a scenario
whatever the queues did: common random numbers that hold under rework, retries and
rosters. Each field is its own stream (``<purpose>.a<k>[.t<j>].<category>.<field>``).

A category with ``joint_fields`` draws those stages of a pass jointly: one observed vector
of ``joint_rows`` chosen by a uniform on its own stream (``….u_joint``), so the stages keep
their observed dependence (a joint bootstrap); the other fields are unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import partial
from typing import Any, NamedTuple

from fcsim.sim.streams import KeyedDraws, Streams

__all__ = ["DURATION_FIELDS", "CallbackTry", "Meeting", "Pass", "TicketDraws"]


class Pass(NamedTuple):
    """The draws of one pass (durations in minutes, money in the site's currency; ``u_*`` are
    U(0, 1) decisions)."""

    relay: float
    record: float
    emergency_record: float
    classify: float
    dispatch: float
    emergency_dispatch: float
    emergency_report: float
    misroute_return: float
    redispatch: float
    precall: float
    sign: float
    callout: float
    travel: float
    wrong_location: float
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
    charge: float
    u_record_error: float
    u_error_kind: float
    u_misroute: float
    u_block: float
    u_block_at: float
    u_resolve: float
    u_reject: float
    u_unreachable: float
    u_satisfaction: float
    u_reopen: float
    u_charge: float
    u_charge_dispute: float
    u_materials: float
    u_sample: float


class CallbackTry(NamedTuple):
    """A later callback try (*j* ≥ 2): the wait before it, the call, and whether reached."""

    retry_wait: float
    callback: float
    u_unreachable: float


class Meeting(NamedTuple):
    """The *j*-th manager meeting that takes a ticket up: discussion time, resolved or not."""

    meeting: float
    u_resolve: float


DURATION_FIELDS: tuple[str, ...] = tuple(f for f in Pass._fields if not f.startswith("u_"))


class TicketDraws:
    """Keyed draws of one category (see the module docstring)."""

    def __init__(self, streams: Streams, category: str, dists: Mapping[str, Any], *,
                 joint_fields: Sequence[str] = (),
                 joint_rows: Sequence[Sequence[float]] = ()) -> None:
        missing = (set(DURATION_FIELDS) | {"callback_retry", "meeting"}) - set(dists)
        if missing:
            raise ValueError(f"no distribution for {sorted(missing)}")
        self._streams = streams
        self._category = category
        self._dists = dists
        self._tables: dict[tuple[str, int, int], KeyedDraws] = {}
        self._first: KeyedDraws | None = None  # the first passes' table, read by every ticket
        self._joint_pos = [Pass._fields.index(f) for f in joint_fields]
        self._joint_rows = [tuple(map(float, r)) for r in joint_rows]

    def _joint_row(self, values: Iterable[float]) -> Pass:
        """A pass row whose joint stages are one observed vector, chosen by the extra last
        uniform (the joint bootstrap: the stages keep their observed dependence)."""
        vals = list(values)
        u = vals.pop()
        rows = self._joint_rows
        picked = rows[min(int(u * len(rows)), len(rows) - 1)]
        for pos, v in zip(self._joint_pos, picked, strict=True):
            vals[pos] = v
        return tuple.__new__(Pass, vals)

    def _table(self, purpose: str, attempt: int, j: int) -> KeyedDraws:
        key = (purpose, attempt, j)
        t = self._tables.get(key)
        if t is None:
            d = self._dists
            if purpose == "pass":
                fields = [(f, None if f.startswith("u_") else d[f]) for f in Pass._fields]
                row: Any = partial(tuple.__new__, Pass)  # Pass._make without its checks
                if self._joint_rows:  # one more uniform (its own stream): the joint row
                    fields.append(("u_joint", None))
                    row = self._joint_row
            elif purpose == "callback":
                fields = [("retry_wait", d["callback_retry"]), ("callback", d["callback"]),
                          ("u_unreachable", None)]
                row = CallbackTry._make
            else:
                fields = [("meeting", d["meeting"]), ("u_resolve", None)]
                row = Meeting._make
            prefix = f"{purpose}.a{attempt}" + (f".t{j}" if j else "") + f".{self._category}"
            t = self._tables[key] = KeyedDraws(self._streams, prefix, fields,
                                               dense=purpose == "pass" and attempt == 1,
                                               row=row)
        return t

    def first_pass(self, i: int) -> Pass:
        """Ticket ``i``'s first pass."""
        first = self._first
        if first is None:
            first = self._first = self._table("pass", 1, 0)
        return first[i]

    def pass_(self, i: int, attempt: int) -> Pass:
        """Ticket ``i``'s pass ``attempt``."""
        return self._table("pass", attempt, 0)[i]

    def callback_try(self, i: int, attempt: int, j: int) -> CallbackTry:
        """Ticket ``i``'s callback try ``j`` (≥ 2) in pass ``attempt``."""
        return self._table("callback", attempt, j)[i]

    def meeting(self, i: int, attempt: int, j: int) -> Meeting:
        """Ticket ``i``'s ``j``-th meeting in pass ``attempt``."""
        return self._table("meeting", attempt, j)[i]
