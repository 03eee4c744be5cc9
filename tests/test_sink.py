"""The columnar event sink: packed records read back exactly, whichever way they went in."""

from __future__ import annotations

import math

import numpy as np

from fcsim.sim.sink import (
    EVENT,
    EventSink,
    RunRecord,
    TicketArrays,
    _by_ticket_then_time,
    _ts_ms,
    build_frames,
)


def test_emit_emitter_and_packed_records_read_back_the_same() -> None:
    events = [(0, 3, math.nan, 1.5, 2, 1, 1), (7, 12, 0.25, 9.75, -1, -1, 2),
              (2**31 - 1, 0, 3.0, 4.0, 5, 4, 10)]
    a, b, c = EventSink(), EventSink(), EventSink()
    emit = b.emitter()
    for ticket, act, started, ts, res, role, attempt in events:
        a.emit(ticket, act, started, ts, res, role, attempt)
        emit(ticket, act, started, ts, res, role, attempt)
        c.buf += EVENT.pack(ticket, act, res, role, attempt, started, ts)  # the hot path's form
    assert len(a) == len(b) == len(c) == 3 and len(a.buf) == 3 * 36
    cols = a.columns()
    assert cols["ticket"].tolist() == [0, 7, 2**31 - 1]
    assert cols["act"].tolist() == [3, 12, 0]
    assert cols["res"].tolist() == [2, -1, 5]
    assert cols["role"].tolist() == [1, -1, 4]
    assert cols["attempt"].tolist() == [1, 2, 10]
    np.testing.assert_array_equal(cols["started"], [np.nan, 0.25, 3.0])
    assert cols["ts"].tolist() == [1.5, 9.75, 4.0]
    for other in (b, c):
        for k, v in other.columns().items():
            np.testing.assert_array_equal(v, cols[k])


def test_columns_are_a_copy_so_the_sink_can_grow() -> None:
    s = EventSink()
    s.emit(1, 2, math.nan, 3.0, 4, 5, 1)
    cols = s.columns()
    s.emit(2, 2, math.nan, 4.0, 4, 5, 1)  # a live view would forbid resizing the buffer
    assert cols["ticket"].tolist() == [1] and s.columns()["ticket"].tolist() == [1, 2]


def test_frames_order_each_tickets_events_by_time_then_emission() -> None:
    # A job logs its steps when it ends, so a ticket's events may be emitted out of time
    # order (a hand-over logged at 08:00 while the technician's job that ended at 07:56 is
    # still to be logged). The frames order them by time as the log holds it (milliseconds);
    # equal times keep emission order, even when the minutes differ below a millisecond.
    sink = EventSink()
    for ticket, act, ts in [(1, 5, 2.0), (0, 3, 10.0), (0, 4, 10.0), (0, 2, 7.5), (1, 6, 1.0),
                            (0, 9, 12.0 + 1e-9), (0, 8, 12.0)]:
        sink.emit(ticket, act, math.nan, ts, -1, -1, 1)
    facts = TicketArrays.prefilled(np.zeros(2, np.int16), np.zeros(2, np.int8),
                                   np.zeros(2, np.int8), np.zeros(2, np.int8),
                                   np.zeros(2), np.full(2, np.nan), np.ones(2, np.int32))
    rec = RunRecord(scenario="s", replication=0, start_ms=0, sink=sink, facts=facts,
                    resources=[], categories=["c"], departments=["d"],
                    routes=[(True, True, True)])
    events, _ = build_frames([rec])
    codes = events["activity"].cat.codes.tolist()
    minutes = (events["timestamp"].astype("int64") / 60000.0).tolist()
    assert events["ticket_id"].astype(str).tolist() == ["s-r0-000000"] * 5 + ["s-r0-000001"] * 2
    assert codes == [2, 3, 4, 9, 8, 6, 5] and minutes == [7.5, 10.0, 10.0, 12.0, 12.0, 1.0, 2.0]
    assert events["seq"].tolist() == [0, 1, 2, 3, 4, 0, 1]


def test_the_combined_sort_key_orders_as_ticket_time_emission() -> None:
    # One stable sort of ticket * span + time must give the lexsort's order (ticket, then
    # time, then emission), ties included; a span too wide for 62 bits falls back to it.
    rng = np.random.default_rng(7)
    tk = rng.integers(0, 50, 2000).astype(np.int64)
    ts_ms = rng.integers(-5, 40, 2000).astype(np.float64) * 1000.0  # many ties
    expected = np.lexsort((np.arange(len(tk)), ts_ms, tk))
    np.testing.assert_array_equal(_by_ticket_then_time(tk, ts_ms), expected)
    wide = ts_ms.copy()
    wide[0] = 2.0**61  # (50 tickets) * span overflows 62 bits
    expected = np.lexsort((np.arange(len(tk)), wide, tk))
    np.testing.assert_array_equal(_by_ticket_then_time(tk, wide), expected)
    assert _by_ticket_then_time(np.zeros(0, np.int64), np.zeros(0)).tolist() == []


def test_timestamps_from_milliseconds_keep_nulls_and_exact_values() -> None:
    ms = np.array([np.nan, 0.0, 1_767_225_600_123.0, -1.0])
    out = _ts_ms(ms)
    assert str(out.dtype) == "datetime64[ms, UTC]"
    assert out.isna().tolist() == [True, False, False, False]
    assert out.iloc[1:].astype("int64").tolist() == [0, 1_767_225_600_123, -1]
