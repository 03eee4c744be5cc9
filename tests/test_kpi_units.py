"""Unit tests of the KPI engine: statistics, helpers and hand-built logs (answers by hand)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from fcsim.eventlog import EventLog, EventLogError
from fcsim.kpi import control_points, evaluate, indicators, periods, t_interval, wilson_interval
from fcsim.kpi.bounds import resolve_bounds
from fcsim.kpi.periods import period_bounds
from fcsim.kpi.prepare import first_after
from fcsim.model.control_points import SEED_CONTROL_POINTS, Bounds
from fcsim.model.indicators import Target

Z = 1.959963984540054
DAY0 = pd.Timestamp("2026-03-02T08:00:00+00:00")  # a Monday


# ---------------------------------------------------------------- statistics and helpers
def test_wilson_edge_cases_closed_form() -> None:
    # k = 0: interval [0, z²/(n+z²)]; k = n: [n/(n+z²), 1]; n = 0: empty
    lo, hi = wilson_interval(np.array([0, 4, 0]), np.array([4, 4, 0]))
    assert lo[0] == pytest.approx(0.0, abs=1e-15)
    assert hi[0] == pytest.approx(Z**2 / (4 + Z**2), rel=1e-12)
    assert lo[1] == pytest.approx(4 / (4 + Z**2), rel=1e-12)
    assert hi[1] == pytest.approx(1.0, rel=1e-12)
    assert math.isnan(lo[2]) and math.isnan(hi[2])


def test_wilson_half_by_hand() -> None:
    # k = 1, n = 2: centre 0.5 by symmetry; half = z/(1+z²/2) * sqrt(1/8 + z²/16)
    lo, hi = wilson_interval(np.array([1]), np.array([2]))
    half = Z / (1 + Z**2 / 2) * math.sqrt(0.125 + Z**2 / 16)
    assert (lo[0] + hi[0]) / 2 == pytest.approx(0.5, rel=1e-12)
    assert hi[0] - lo[0] == pytest.approx(2 * half, rel=1e-12)


def test_t_interval_two_values() -> None:
    # df = 1: t_0.975 = tan(0.475 π); sd(0.5, 0.7) = 0.1√2; half = t·sd/√2 = 0.1 t
    mean, lo, hi = t_interval(np.array([0.5, 0.7]))
    t1 = math.tan(0.475 * math.pi)
    assert mean == pytest.approx(0.6)
    assert lo == pytest.approx(0.6 - 0.1 * t1, rel=1e-9)
    assert hi == pytest.approx(0.6 + 0.1 * t1, rel=1e-9)
    m1, l1, h1 = t_interval(np.array([0.3, np.nan]))
    assert m1 == pytest.approx(0.3) and math.isnan(l1) and math.isnan(h1)


def test_period_bounds_week_and_month() -> None:
    ms = np.array([pd.Timestamp("2026-03-04T23:59:59+00:00").value // 10**6,
                   pd.Timestamp("2026-03-09T00:00:00+00:00").value // 10**6])
    s, e = period_bounds(ms, "week")
    assert pd.to_datetime(s, unit="ms").strftime("%Y-%m-%d").tolist() == [
        "2026-03-02", "2026-03-09"]
    assert pd.to_datetime(e, unit="ms").strftime("%Y-%m-%d").tolist() == [
        "2026-03-09", "2026-03-16"]
    s, e = period_bounds(np.array([pd.Timestamp("2026-02-15T12:00:00+00:00").value // 10**6]),
                         "month")
    assert pd.to_datetime(s, unit="ms")[0] == pd.Timestamp("2026-02-01")
    assert pd.to_datetime(e, unit="ms")[0] == pd.Timestamp("2026-03-01")


def test_first_after() -> None:
    mask = np.array([0, 1, 0, 1, 1, 0], dtype=bool)
    seg = np.array([0, 0, 0, 1, 1, 1])
    got = first_after(mask, seg, np.array([0, 0, 1, 1, -1]), np.array([-1, 1, 2, 3, 0]))
    assert got.tolist() == [1, -1, 3, 4, -1]


def test_resolve_bounds_order() -> None:
    manifest = {"control_points": {"hospital": {"on_site": {"upper_s": 300}}}}
    mine = SEED_CONTROL_POINTS.with_bounds({"record": Bounds(upper_s=30)})
    got = resolve_bounds(["hospital", "apartment", None], manifest=manifest,
                         bounds={"apartment": mine})
    assert got["hospital"].bounds("on_site").upper_s == 300
    assert got["hospital"].bounds("record").upper_s == 60
    assert got["apartment"].bounds("record").upper_s == 30
    assert got[None] is SEED_CONTROL_POINTS
    assert resolve_bounds(["x"], bounds=mine)["x"] is mine


# ---------------------------------------------------------------- hand-built logs
def _ticket(tid: str, **kw: object) -> dict[str, object]:
    base: dict[str, object] = dict(
        ticket_id=tid, category="engineering", emergency=False, source="customer_call",
        mode="immediate", booked_at=None, appointment_at=None, location="A", content="x",
        contact="c", phone="p", department="eng", route_dispatch=True,
        route_site_visit=True, route_callback=True, satisfied=None, record_accurate=None,
        recognised_correctly=None, charge=None, charge_confirmed=None, materials=None,
        scenario=None, replication=None, schema_version=1)
    base.update(kw)
    return base


def _log(tickets: list[dict[str, object]],
         events: list[tuple[str, str, int, int]], manifest: dict | None = None) -> EventLog:
    """``events``: (ticket_id, activity, seconds after DAY0, attempt)."""
    sc = {t["ticket_id"]: (t["scenario"], t["replication"]) for t in tickets}
    ev = pd.DataFrame({
        "ticket_id": [e[0] for e in events], "seq": range(len(events)),
        "activity": [e[1] for e in events], "started_at": [None] * len(events),
        "timestamp": [(DAY0 + pd.Timedelta(seconds=e[2])).isoformat() for e in events],
        "resource": "desk-1", "role": "desk", "attempt": [e[3] for e in events],
        "scenario": [sc[e[0]][0] for e in events],
        "replication": [sc[e[0]][1] for e in events], "schema_version": 1,
    })
    tk = pd.DataFrame(tickets)
    for col in ("booked_at", "appointment_at"):
        tk[col] = tk[col].map(lambda v: None if v is None else (
            DAY0 + pd.Timedelta(seconds=v)).isoformat())
    return EventLog.from_frames(ev, tk, manifest)


def _at(s: int) -> pd.Timestamp:
    return DAY0 + pd.Timedelta(seconds=s)


def _rows(cp: pd.DataFrame, clock: str) -> list[tuple]:
    sub = cp[cp["control_point"] == clock]
    return [(r.attempt, r.occurrence, r.status,
             None if pd.isna(r.duration_s) else float(r.duration_s),
             None if pd.isna(r.lateness_s) else float(r.lateness_s))
            for r in sub.itertuples()]


def test_escalate_fifo_pairing_and_open_instances() -> None:
    # escalated before any blocked is unpaired; b1(100) b2(150) e(200) e(600) b3(700)
    ev = [("A", "received", 0, 1), ("A", "escalated", 50, 1), ("A", "blocked", 100, 1),
          ("A", "blocked", 150, 1), ("A", "escalated", 200, 1), ("A", "escalated", 600, 1),
          ("A", "blocked", 700, 1)]
    log = _log([_ticket("A", route_dispatch=False, route_site_visit=False,
                        route_callback=False)], ev)
    cp = control_points(log, as_of=_at(1100))
    # b1→e(200) 100 s met; b2→e(600) 450 s breached by 150; b3 open 400 s: over 300 by 100
    assert _rows(cp, "escalate") == [(1, 1, "met", 100.0, None),
                                     (1, 2, "breached", 450.0, 150.0),
                                     (1, 3, "breached", None, 100.0)]
    cp = control_points(log, as_of=_at(900))  # b3 open 200 s: censored
    assert _rows(cp, "escalate")[2] == (1, 3, "censored", None, None)


def test_missing_rows_and_second_attempt_opened_by_rejected() -> None:
    ev = [("A", "received", 0, 1), ("A", "recorded", 30, 1), ("A", "dispatched", 60, 1),
          ("A", "work_completed", 900, 1), ("A", "rejected", 1000, 1)]
    log = _log([_ticket("A", route_callback=False, record_accurate=True)], ev)
    cp = control_points(log, as_of=_at(1030))
    # attempt 1 ended at the rejected (1000 s): on_site stood 940 s > 600 → missing, 340 late;
    # plan never started → missing without start or lateness
    assert _rows(cp, "on_site") == [(1, 1, "missing", None, 340.0)]
    assert _rows(cp, "plan") == [(1, 1, "missing", None, None)]
    # attempt 2 exists from the rejected: record runs from it, 30 s so far → censored;
    # its dispatch/on_site/plan have no start and the attempt is open → no rows
    assert _rows(cp, "record") == [(1, 1, "met", 30.0, None), (2, 1, "censored", None, None)]
    assert cp[cp["attempt"] == 2]["control_point"].tolist() == ["record"]
    assert cp.loc[(cp["attempt"] == 2), "start"].tolist() == [_at(1000)]
    ind = indicators(log, as_of=_at(1030)).set_index("indicator")
    assert (ind.loc["pass_rate", "numerator"], ind.loc["pass_rate", "denominator"]) == (0, 1)
    assert ind.loc["pass_rate", "met"] == False  # noqa: E712
    # timeliness: missing rows make it fail
    assert (ind.loc["timeliness", "numerator"], ind.loc["timeliness", "denominator"]) == (0, 1)
    # satisfaction: no callback → denominator 0, value and met empty
    assert ind.loc["satisfaction", "denominator"] == 0
    assert pd.isna(ind.loc["satisfaction", "value"]) and pd.isna(ind.loc["satisfaction", "met"])


def test_appointment_clocks_without_start() -> None:
    # appointment at 3600 s, booked at 0 (≥ 900 s ahead → call clock applies)
    ev = [("A", "received", 0, 1), ("A", "recorded", 20, 1), ("A", "dispatched", 40, 1)]
    log = _log([_ticket("A", mode="appointment", booked_at=0, appointment_at=3600,
                        route_callback=False)], ev)
    cp = control_points(log, as_of=_at(3000))
    # call must start by 3600-900 = 2700: 300 s late; arrival by 3600-180 = 3420: censored;
    # sign by 3600: censored. end is appointment_at even without a start.
    assert _rows(cp, "appointment_call") == [(1, 1, "breached", None, 300.0)]
    assert _rows(cp, "appointment_arrival") == [(1, 1, "censored", None, None)]
    assert _rows(cp, "appointment_sign") == [(1, 1, "censored", None, None)]
    assert set(cp.loc[cp["control_point"].str.startswith("appointment"), "end"]) == {_at(3600)}
    assert "on_site" not in set(cp["control_point"])
    # booked 600 s ahead only: no call clock
    log2 = _log([_ticket("A", mode="appointment", booked_at=3000, appointment_at=3600,
                         route_callback=False)], ev)
    assert "appointment_call" not in set(control_points(log2, as_of=_at(3000))["control_point"])


def test_callback_missing_when_closed_without_accepted_and_callback_rate() -> None:
    ev = [("A", "received", 0, 1), ("A", "recorded", 10, 1), ("A", "dispatched", 20, 1),
          ("A", "closed", 100, 1),
          ("B", "received", 0, 1), ("B", "recorded", 10, 1), ("B", "dispatched", 20, 1),
          ("B", "accepted", 200, 1), ("B", "slip_returned", 300, 1),
          ("C", "received", 0, 1), ("C", "recorded", 10, 1), ("C", "dispatched", 20, 1),
          ("C", "accepted", 200, 1), ("C", "slip_returned", 400, 1)]
    tks = [_ticket(t, route_site_visit=False) for t in "ABC"]
    log = _log(tks, ev)
    cp = control_points(log, as_of=_at(500))
    cb = cp[cp["control_point"] == "callback"]
    assert cb["ticket_id"].astype(str).tolist() == ["A", "B", "C"]
    # A closed without accepted: missing on its last attempt; B's slip 200 s ago > 120 s:
    # breached while open, 80 s late; C's slip 100 s ago: censored
    assert cb["status"].tolist() == ["missing", "breached", "censored"]
    assert cb["lateness_s"].tolist()[1:] == [80.0, pd.NA]
    ind = indicators(log, as_of=_at(500)).set_index("indicator")
    # B's slip is 200 s before as_of (≥ 120 s: due), C's only 100 s: not yet; A has no slip
    assert (ind.loc["callback_rate", "numerator"], ind.loc["callback_rate", "denominator"]) \
        == (0, 1)


def test_on_site_runs_to_valid_arrival_and_recognition() -> None:
    ev = [("A", "received", 0, 1), ("A", "recorded", 10, 1), ("A", "classified", 15, 1),
          ("A", "dispatched", 20, 1), ("A", "arrived", 200, 1), ("A", "misrouted", 250, 1),
          ("A", "dispatched", 300, 1), ("A", "arrived", 500, 1)]
    log = _log([_ticket("A", route_callback=False, recognised_correctly=False)], ev)
    cp = control_points(log, as_of=_at(600))
    assert _rows(cp, "on_site") == [(1, 1, "met", 480.0, None)]
    ind = indicators(log, as_of=_at(600)).set_index("indicator")
    assert (ind.loc["recognition", "numerator"], ind.loc["recognition", "denominator"]) == (0, 1)
    bad = _log([_ticket("A", route_callback=False, recognised_correctly=True)], ev)
    with pytest.raises(EventLogError, match="recognised_correctly"):
        indicators(bad, as_of=_at(600))


def test_window_and_as_of_select_population() -> None:
    ev = [("A", "received", 0, 1), ("A", "recorded", 10, 1),
          ("B", "received", 1000, 1), ("B", "recorded", 1090, 1)]
    tks = [_ticket(t, route_dispatch=False, route_site_visit=False, route_callback=False,
                   record_accurate=True) for t in "AB"]
    log = _log(tks, ev)
    cp = control_points(log, as_of=_at(2000), window=(_at(500), None))
    assert cp["ticket_id"].astype(str).tolist() == ["B"]
    assert _rows(cp, "record") == [(1, 1, "breached", 90.0, 30.0)]
    # as_of before B's receipt: B is not in the population; A alone
    ind = indicators(log, as_of=_at(999)).set_index("indicator")
    assert ind.loc["accuracy", "denominator"] == 1
    assert ind.loc["timeliness", "numerator"] == 1


def test_scenario_rows_and_manifest_bounds() -> None:
    # two replications of scenario "s": record 40 s and 90 s; the manifest sets record ≤ 100 s
    tks = [_ticket("A", scenario="s", replication=0, route_dispatch=False,
                   route_site_visit=False, route_callback=False, record_accurate=True),
           _ticket("B", scenario="s", replication=1, route_dispatch=False,
                   route_site_visit=False, route_callback=False, record_accurate=False)]
    ev = [("A", "received", 0, 1), ("A", "recorded", 40, 1),
          ("B", "received", 0, 1), ("B", "recorded", 90, 1)]
    manifest = {"control_points": {"s": {"record": {"lower_s": None, "upper_s": 100}}}}
    log = _log(tks, ev, manifest)
    res = evaluate(log, as_of=_at(100))
    assert res.control_points["status"].tolist() == ["met", "met"]
    assert res.control_points["upper_s"].tolist() == [100.0, 100.0]
    ind = res.indicators
    assert ind["level"].tolist() == ["replication"] * 12 + ["scenario"] * 6
    acc = ind[(ind["indicator"] == "accuracy") & (ind["level"] == "scenario")].iloc[0]
    # values 1/1 and 0/1: empirical logits ±log 3, mean 0, sd log 3 · √2; half = t · log 3
    t1 = math.tan(0.475 * math.pi)
    assert acc["value"] == pytest.approx(0.5)
    assert acc["ci_low"] == pytest.approx(1 / (1 + math.exp(t1 * math.log(3))), rel=1e-9)
    assert acc["ci_high"] == pytest.approx(1 / (1 + math.exp(-t1 * math.log(3))), rel=1e-9)
    assert 0 < acc["ci_low"] < acc["ci_high"] < 1  # inside [0, 1] (a t-interval was not)
    assert (acc["numerator"], acc["denominator"]) == (1, 2)
    assert acc["met"] == False  # noqa: E712
    tim = ind[(ind["indicator"] == "timeliness") & (ind["level"] == "scenario")].iloc[0]
    assert (tim["value"], tim["met"], tim["numerator"], tim["denominator"]) == (1.0, True, 2, 2)
    # a lower target makes accuracy's mean 0.5 meet "> 40 %"
    ind2 = indicators(log, as_of=_at(100), targets={"accuracy": Target("above", 0.4)})
    row = ind2[(ind2["indicator"] == "accuracy") & (ind2["level"] == "scenario")].iloc[0]
    assert (row["target"], row["met"]) == ("> 40 %", True)
    per = periods(log, as_of=_at(100), period="month")
    assert per["replication"].tolist() == [0] * 6 + [1] * 6
    assert set(per["period_start"]) == {pd.Timestamp("2026-03-01T00:00:00+00:00")}


def test_nothing_known_yet_gives_empty_tables_with_columns() -> None:
    ev = [("A", "received", 100, 1), ("A", "recorded", 130, 1)]
    log = _log([_ticket("A")], ev)
    res = evaluate(log, as_of=_at(50))
    assert len(res.control_points) == 0 and len(res.periods) == 0
    assert list(res.control_points.columns) == [
        "scenario", "replication", "ticket_id", "attempt", "occurrence", "control_point",
        "status", "start", "end", "duration_s", "lower_s", "upper_s", "lateness_s"]
    assert list(res.periods.columns) == [
        "scenario", "replication", "period_start", "period_end", "partial", "indicator",
        "value", "numerator", "denominator"]
    assert res.indicators["denominator"].tolist() == [0] * 6
    assert res.indicators["value"].isna().all() and res.indicators["met"].isna().all()


def test_relayed_receipt_and_emergency_second_pass() -> None:
    # relayed (30 s) is R, not received (0 s); emergency: report clock in attempt 1, on_site
    # from emergency_reported; attempt 2 (from the rejected) is dispatched like any other
    ev = [("A", "received", 0, 1), ("A", "relayed", 30, 1), ("A", "recorded", 80, 1),
          ("A", "emergency_reported", 100, 1), ("A", "dispatched", 110, 1),
          ("A", "arrived", 400, 1), ("A", "rejected", 1000, 1), ("A", "recorded", 1050, 2),
          ("A", "dispatched", 1100, 2), ("A", "arrived", 1800, 2)]
    log = _log([_ticket("A", emergency=True, route_callback=False)], ev)
    cp = control_points(log, as_of=_at(1900))
    assert _rows(cp, "record") == [(1, 1, "met", 50.0, None), (2, 1, "met", 50.0, None)]
    assert _rows(cp, "emergency_report") == [(1, 1, "met", 70.0, None)]
    assert _rows(cp, "dispatch") == [(2, 1, "met", 50.0, None)]
    assert _rows(cp, "on_site") == [(1, 1, "met", 300.0, None),
                                    (2, 1, "breached", 700.0, 100.0)]
    # attempt 1 ended at the rejected without diagnosed: plan missing; attempt 2 still open
    # and never diagnosed: no plan row
    assert _rows(cp, "plan") == [(1, 1, "missing", None, None)]
