"""The columnar event sink and its conversion to the canonical event-log frames.

During a run every event is appended to one byte buffer as a packed record (integer codes:
ticket number, activity, resource, role, attempt; float minutes: ``started_at``,
``timestamp``): 36 bytes per event, no Python object per event. Ticket facts live in
arrays indexed by ticket number. :func:`build_frames` turns one or more replications' sinks
into the ``events`` and ``tickets`` tables of ``fcsim.eventlog.schema`` with their canonical
dtypes directly (no per-row canonicalisation).
"""

from __future__ import annotations

import itertools
import struct
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from fcsim.eventlog.schema import (
    ACTIVITY_DTYPE,
    EVENT_COLUMNS,
    ROLE_DTYPE,
    SCHEMA_VERSION,
    STRING_DTYPE,
    TICKET_COLUMNS,
)
from fcsim.model.activities import ACTIVITY_CODES, Role
from fcsim.model.taxonomy import Mode, Source

__all__ = ["ACT", "EVENT", "EVENT_DTYPE", "ROLE", "EventSink", "RunRecord", "TicketArrays",
           "build_frames"]

#: Activity -> small code (index in the declaration order, i.e. in ``ACTIVITY_DTYPE``).
ACT = ACTIVITY_CODES
#: Role -> small code (index in ``ROLE_DTYPE``); -1 is null.
ROLE: dict[Role, int] = {r: i for i, r in enumerate(Role)}
_SOURCES = list(Source)
_MODES = list(Mode)
_NAN = float("nan")


#: One event as packed bytes: five int32 codes (ticket number, activity, resource, role,
#: attempt; -1 null) and two float64 minutes (``started_at``, ``timestamp``; NaN null).
EVENT = struct.Struct("<5i2d")
EVENT_DTYPE = np.dtype([("ticket", "<i4"), ("act", "<i4"), ("res", "<i4"), ("role", "<i4"),
                        ("attempt", "<i4"), ("started", "<f8"), ("ts", "<f8")])


class EventSink:
    """Events as one growing byte buffer of :data:`EVENT` records — 36 bytes an event, no
    Python object per event. :meth:`emit` appends one; the hot path appends
    ``EVENT.pack(...)`` to :attr:`buf` itself (``buf += pack(...)``: one C call an event)."""

    __slots__ = ("buf",)

    def __init__(self) -> None:
        self.buf = bytearray()

    def emit(self, ticket: int, act: int, started: float, ts: float, res: int, role: int,
             attempt: int) -> None:
        """Append an event (``started`` NaN for instants; ``res``/``role`` -1 for null)."""
        self.buf += EVENT.pack(ticket, act, res, role, attempt, started, ts)

    def emitter(self) -> Callable[[int, int, float, float, int, int, int], None]:
        """A fast ``emit`` (bound methods captured once) for the simulation's hot path."""
        extend, pack = self.buf.extend, EVENT.pack

        def emit(ticket: int, act: int, started: float, timestamp: float, res: int,
                 role: int, attempt: int) -> None:
            extend(pack(ticket, act, res, role, attempt, started, timestamp))

        return emit

    def __len__(self) -> int:
        return len(self.buf) // EVENT.size

    def nbytes(self) -> int:
        """Bytes held by the buffer (allocated size, not just used)."""
        return self.buf.__sizeof__()

    def columns(self) -> dict[str, np.ndarray]:
        """The events as numpy columns: ticket, act, res, role, attempt, started, ts (a copy:
        the sink may go on growing)."""
        rows = np.frombuffer(self.buf, dtype=EVENT_DTYPE).copy()
        return {name: rows[name] for name in EVENT_DTYPE.names or ()}


@dataclass
class TicketArrays:
    """Per-ticket facts in arrays indexed by ticket number (-1 / NaN = null).

    ``lateness_used_s`` is not a log column: it is the lateness the simulator's satisfaction
    model read at the ticket's last reached callback (a test compares it with the KPI engine's).
    """

    category: array
    emergency: array
    source: array
    mode: array
    booked_at: array
    appointment_at: array
    unit: array
    satisfied: array
    record_accurate: array
    recognised: array
    charge: array
    charge_confirmed: array
    materials: array  # index into RunRecord.materials, -1 null
    lateness_used_s: array

    def __len__(self) -> int:
        return len(self.category)

    @classmethod
    def prefilled(cls, category: np.ndarray, emergency: np.ndarray, source: np.ndarray,
                  mode: np.ndarray, booked_at: np.ndarray, appointment_at: np.ndarray,
                  unit: np.ndarray) -> TicketArrays:
        """Facts of tickets known in advance (numbered in order); outcomes null."""
        def arr(code: str, values: np.ndarray, dtype: Any) -> array:
            out = array(code)
            out.frombytes(np.ascontiguousarray(values, dtype=dtype).tobytes())
            return out

        n = len(category)
        null = np.full(n, -1, np.int8)
        nan = np.full(n, np.nan)
        return cls(arr("h", category, np.int16), arr("b", emergency, np.int8),
                   arr("b", source, np.int8), arr("b", mode, np.int8),
                   arr("d", booked_at, np.float64), arr("d", appointment_at, np.float64),
                   arr("i", unit, np.int32), arr("b", null, np.int8), arr("b", null, np.int8),
                   arr("b", null, np.int8), arr("d", nan, np.float64), arr("b", null, np.int8),
                   arr("h", null, np.int16), arr("d", nan, np.float64))


@dataclass(frozen=True)
class RunRecord:
    """What :func:`build_frames` needs from one replication."""

    scenario: str
    replication: int
    start_ms: int
    sink: EventSink
    facts: TicketArrays
    resources: Sequence[str]
    categories: Sequence[str]
    departments: Sequence[str]
    routes: Sequence[tuple[bool, bool, bool]]
    materials: Sequence[str] = ()


def _by_ticket_then_time(tk: np.ndarray, ts_ms: np.ndarray) -> np.ndarray:
    """The order of events by ticket, then time; equal times in the order logged. One
    stable sort of a combined integer key when it fits in 62 bits, else a lexsort."""
    if len(tk):
        lo = ts_ms.min()
        span = int(ts_ms.max() - lo) + 1
        if (int(tk.max()) + 1) * span < 1 << 62:
            key = tk * span + (ts_ms - lo).astype(np.int64)
            return np.argsort(key, kind="stable")
    return np.lexsort((np.arange(len(tk)), ts_ms, tk))


def _cat(values: np.ndarray, names: Sequence[str]) -> pd.Categorical:
    """Codes into ``names`` (-1 null) -> categorical with sorted used categories."""
    used = np.flatnonzero(np.bincount(values[values >= 0], minlength=len(names)))
    labels = [names[i] for i in used.tolist()]
    order = np.argsort(np.asarray(labels, dtype=object), kind="stable")
    sorted_labels = [labels[i] for i in order]
    remap = np.full(len(names) + 1, -1, dtype=np.int32)
    remap[used[order]] = np.arange(len(used), dtype=np.int32)
    codes = remap[np.where(values >= 0, values, len(names))]
    return pd.Categorical.from_codes(codes, categories=sorted_labels)


def _bool(values: np.ndarray) -> pd.arrays.BooleanArray:
    return pd.arrays.BooleanArray(values == 1, values < 0)


def build_frames(records: Sequence[RunRecord]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Events and tickets tables, canonical dtypes, of one or more replications."""
    # ticket ids: f"{scenario}-r{rep}-{n:06d}", globally numbered in record order
    ids: list[str] = []
    ev_parts: dict[str, list[np.ndarray]] = {k: [] for k in
                                             ("tk", "act", "st", "ts", "res", "role", "att",
                                              "scn", "rep")}
    tk_parts: dict[str, list[np.ndarray]] = {k: [] for k in
                                             ("cat", "em", "src", "mode", "bk", "ap", "unit",
                                              "sat", "acc", "rec", "dept", "rd", "rs", "rc",
                                              "chg", "chgok", "mat", "scn", "rep")}
    all_res: list[str] = []
    res_index: dict[str, int] = {}
    all_cat: list[str] = []
    cat_index: dict[str, int] = {}
    all_dept: list[str] = []
    dept_index: dict[str, int] = {}
    all_mat: list[str] = []
    mat_index: dict[str, int] = {}
    scenarios: list[str] = []
    for rec in records:
        if rec.scenario not in scenarios:
            scenarios.append(rec.scenario)
        base = len(ids)
        nt = len(rec.facts)
        ids.extend(map(f"{rec.scenario}-r{rec.replication}-%06d".__mod__, range(nt)))
        s = np.frombuffer(rec.sink.buf, dtype=EVENT_DTYPE)  # read in place: all below copy
        tk = s["ticket"].astype(np.int64)
        ts_ms = np.rint(s["ts"] * 60000.0)  # the moments as the log holds them
        order = _by_ticket_then_time(tk, ts_ms)
        rmap = np.array([res_index.setdefault(r, len(res_index)) for r in rec.resources] + [-1],
                        dtype=np.int32)
        for r in rec.resources:
            if r not in all_res:
                all_res.append(r)
        ev_parts["tk"].append(tk[order] + base)
        ev_parts["act"].append(s["act"][order].astype(np.int8))
        ev_parts["st"].append(rec.start_ms + np.rint(
            s["started"][order] * 60000.0))
        ev_parts["ts"].append(rec.start_ms + ts_ms[order])
        res = s["res"][order]
        ev_parts["res"].append(rmap[np.where(res >= 0, res, len(rec.resources))])
        ev_parts["role"].append(s["role"][order].astype(np.int8))
        ev_parts["att"].append(s["attempt"][order].astype(np.int16))
        ev_parts["scn"].append(np.full(len(tk), scenarios.index(rec.scenario), np.int32))
        ev_parts["rep"].append(np.full(len(tk), rec.replication, np.int32))
        f = rec.facts
        cmap = np.array([cat_index.setdefault(c, len(cat_index)) for c in rec.categories],
                        dtype=np.int32)
        for c in rec.categories:
            if c not in all_cat:
                all_cat.append(c)
        dmap = np.array([dept_index.setdefault(d, len(dept_index)) for d in rec.departments],
                        dtype=np.int32)
        for d in rec.departments:
            if d not in all_dept:
                all_dept.append(d)
        cat = np.frombuffer(f.category, dtype=np.int16).astype(np.int32)
        tk_parts["cat"].append(cmap[cat])
        tk_parts["dept"].append(dmap[cat])
        routes = np.array(rec.routes, dtype=np.int8).reshape(-1, 3)
        tk_parts["rd"].append(routes[cat, 0])
        tk_parts["rs"].append(routes[cat, 1])
        tk_parts["rc"].append(routes[cat, 2])
        tk_parts["em"].append(np.frombuffer(f.emergency, dtype=np.int8))
        tk_parts["src"].append(np.frombuffer(f.source, dtype=np.int8).astype(np.int32))
        tk_parts["mode"].append(np.frombuffer(f.mode, dtype=np.int8).astype(np.int32))
        tk_parts["bk"].append(rec.start_ms + np.rint(
            np.frombuffer(f.booked_at, dtype=np.float64) * 60000.0))
        tk_parts["ap"].append(rec.start_ms + np.rint(
            np.frombuffer(f.appointment_at, dtype=np.float64) * 60000.0))
        tk_parts["unit"].append(np.frombuffer(f.unit, dtype=np.int32))
        tk_parts["sat"].append(np.frombuffer(f.satisfied, dtype=np.int8))
        tk_parts["acc"].append(np.frombuffer(f.record_accurate, dtype=np.int8))
        tk_parts["rec"].append(np.frombuffer(f.recognised, dtype=np.int8))
        tk_parts["chg"].append(np.frombuffer(f.charge, dtype=np.float64))
        tk_parts["chgok"].append(np.frombuffer(f.charge_confirmed, dtype=np.int8))
        mmap = np.array([mat_index.setdefault(x, len(mat_index)) for x in rec.materials]
                        + [-1], dtype=np.int32)
        for x in rec.materials:
            if x not in all_mat:
                all_mat.append(x)
        mat = np.frombuffer(f.materials, dtype=np.int16).astype(np.int64)
        tk_parts["mat"].append(mmap[np.where(mat >= 0, mat, len(rec.materials))])
        tk_parts["scn"].append(np.full(nt, scenarios.index(rec.scenario), np.int32))
        tk_parts["rep"].append(np.full(nt, rec.replication, np.int32))

    def cat_(parts: list[np.ndarray]) -> np.ndarray:
        return parts[0] if len(parts) == 1 else np.concatenate(parts) if parts else np.zeros(0)

    ev = {k: cat_(v) for k, v in ev_parts.items()}
    tkd = {k: cat_(v) for k, v in tk_parts.items()}
    n_ev = len(ev["tk"])
    # seq: 0-based order within each ticket
    tkcodes = ev["tk"].astype(np.int64)
    if n_ev:
        first = np.r_[True, tkcodes[1:] != tkcodes[:-1]]
        starts = np.maximum.accumulate(np.where(first, np.arange(n_ev), 0))
        seq = np.arange(n_ev, dtype=np.int64) - starts
    else:
        seq = np.zeros(0, dtype=np.int64)
    ticket_cats = ids  # already sorted: zero-padded numbers within a scenario/replication
    in_order = (len(records) == 1 and len(ids) <= 1_000_000) or all(
        a < b for a, b in itertools.pairwise(ids))
    order_ids = [] if in_order else sorted(range(len(ids)), key=ids.__getitem__)
    if not in_order:
        ranks = np.empty(len(ids), dtype=np.int64)
        ranks[np.asarray(order_ids, dtype=np.int64)] = np.arange(len(ids))
        tkcodes = ranks[tkcodes]
        ticket_cats = [ids[i] for i in order_ids]
        tk_rank = ranks
    else:
        tk_rank = np.arange(len(ids))
    id_dtype = pd.CategoricalDtype(pd.Index(ticket_cats))
    events = pd.DataFrame({
        "ticket_id": pd.Categorical.from_codes(tkcodes.astype(np.int32), dtype=id_dtype),
        "seq": seq.astype(np.int32),
        "activity": pd.Categorical.from_codes(ev["act"].astype(np.int8, copy=False),
                                              dtype=ACTIVITY_DTYPE),
        "started_at": _ts_ms(ev["st"]),
        "timestamp": _ts_ms(ev["ts"]),
        "resource": _cat(ev["res"].astype(np.int64, copy=False), all_res),
        "role": pd.Categorical.from_codes(ev["role"].astype(np.int8, copy=False), dtype=ROLE_DTYPE),
        "attempt": ev["att"].astype(np.int16, copy=False),
        "scenario": _cat(ev["scn"].astype(np.int64, copy=False), scenarios),
        "replication": pd.array(ev["rep"].astype(np.int32, copy=False), dtype="Int32",
                                copy=False),
        "schema_version": np.full(n_ev, SCHEMA_VERSION, dtype=np.int8),
    }, copy=False)  # the columns are this function's own
    if ticket_cats is not ids:  # events sorted by ticket id, then seq
        idx = np.lexsort((seq, tkcodes))
        events = events.iloc[idx].reset_index(drop=True)
    nt = len(ids)
    unit = tkd["unit"].astype(np.int64)
    unit_labels = np.array([f"unit-{u}" for u in range(int(unit.max(initial=0)) + 1)],
                           dtype=object)
    location = pd.array(unit_labels[unit], dtype=STRING_DTYPE)
    content = pd.array(np.asarray([*all_cat, ""], dtype=object)[tkd["cat"].astype(np.int64)],
                       dtype=STRING_DTYPE)
    empty_str = pd.array(np.full(nt, None, dtype=object), dtype=STRING_DTYPE)
    tickets = pd.DataFrame({
        "ticket_id": pd.Categorical.from_codes(tk_rank.astype(np.int32), dtype=id_dtype),
        "category": _cat(tkd["cat"].astype(np.int64), all_cat),
        "emergency": _bool(tkd["em"].astype(np.int8)),
        "source": _cat(tkd["src"].astype(np.int64), [s.value for s in _SOURCES]),
        "mode": _cat(tkd["mode"].astype(np.int64), [m.value for m in _MODES]),
        "booked_at": _ts_ms(tkd["bk"]),
        "appointment_at": _ts_ms(tkd["ap"]),
        "location": location,
        "content": content,
        "contact": empty_str,
        "phone": empty_str.copy(),
        "department": _cat(tkd["dept"].astype(np.int64), all_dept),
        "route_dispatch": _bool(tkd["rd"].astype(np.int8)),
        "route_site_visit": _bool(tkd["rs"].astype(np.int8)),
        "route_callback": _bool(tkd["rc"].astype(np.int8)),
        "satisfied": _bool(tkd["sat"].astype(np.int8)),
        "record_accurate": _bool(tkd["acc"].astype(np.int8)),
        "recognised_correctly": _bool(tkd["rec"].astype(np.int8)),
        "charge": pd.array(tkd["chg"], dtype="Float64") if nt else pd.array([], "Float64"),
        "charge_confirmed": _bool(tkd["chgok"].astype(np.int8)),
        "materials": pd.array(np.asarray([*all_mat, None], dtype=object)[
            tkd["mat"].astype(np.int64)], dtype=STRING_DTYPE),
        "scenario": _cat(tkd["scn"].astype(np.int64), scenarios),
        "replication": pd.array(tkd["rep"].astype(np.int32), dtype="Int32"),
        "schema_version": np.full(nt, SCHEMA_VERSION, dtype=np.int8),
    }, copy=False)
    if ticket_cats is not ids:
        tickets = tickets.iloc[np.argsort(tk_rank, kind="stable")].reset_index(drop=True)
    assert list(events.columns) == list(EVENT_COLUMNS)
    assert list(tickets.columns) == list(TICKET_COLUMNS)
    return events, tickets


def _ts_ms(ms: np.ndarray) -> pd.Series:
    """Whole epoch milliseconds (NaN = null) -> ``datetime64[ms, UTC]`` (numpy casts NaN to
    NaT)."""
    return pd.Series(ms.astype("datetime64[ms]"), copy=False).dt.tz_localize("UTC")
