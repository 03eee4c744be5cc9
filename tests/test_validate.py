"""Held-out validation, staffing from the log, the close timer, unfinished tickets, --start."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fcsim.calibrate.staffing import estimate_staff
from fcsim.cli import main
from fcsim.compare import unfinished_at_horizon
from fcsim.eventlog import EventLog, read_log
from fcsim.kpi import evaluate
from fcsim.model.timezone import parse_tz
from fcsim.scenarios import load_scenario, scenario_from_dict
from fcsim.sim import replicate, simulate
from fcsim.validate import slice_log, summary, validation_table
from fcsim.validate.distances import ngram_distance


def _small(days: float = 6.0) -> EventLog:
    return simulate(load_scenario("apartment"), seed=3, days=days)


def test_unfinished_at_horizon_counts_open_tickets_by_hand() -> None:
    log = _small(2.0)
    u = unfinished_at_horizon(log)
    horizon = pd.Timestamp(log.manifest["window"][1]).tz_convert("UTC")
    n = n_open = n_never = 0
    for _, g in log.events.groupby(log.events["ticket_id"].astype(str)):
        if g["timestamp"].min() >= horizon:
            continue
        n += 1
        closes = g.loc[g["activity"].astype(str) == "closed", "timestamp"]
        if closes.empty:
            n_never += 1
        if closes.empty or closes.max() > horizon:
            n_open += 1
    assert (u.n_tickets, u.n_unfinished, u.n_never_closed) == (n, n_open, n_never)
    assert n > 0 and n_open > 0  # two days: some tickets are still open at the end
    assert u.warn == (n_open / n > 0.05)
    assert f"unfinished at the horizon {horizon.isoformat()}:" in u.line()
    local = horizon.tz_convert("Asia/Shanghai").isoformat()  # the site's zone, same instant
    assert local.endswith("+08:00") and f"horizon {local}:" in u.line(parse_tz("Asia/Shanghai"))


def _one_category(close_timer: bool, desk: int, close_min: float, rate: float) -> dict:
    data = load_scenario("apartment").to_data()
    name = "help"
    cat = data["categories"][name]
    cat.update(route_dispatch=True, route_site_visit=False, route_callback=False,
               rate_per_unit_day=rate, emergency_p=0.0, appointment_p=0.0, block_p=0.0,
               work_min={"dist": "fixed", "value": 5.0})
    data["categories"] = {name: cat}
    data["stages"].update(record_min={"dist": "fixed", "value": 4.0},
                          classify_min={"dist": "fixed", "value": 2.0},
                          dispatch_min={"dist": "fixed", "value": 1.0},
                          close_min={"dist": "fixed", "value": close_min})
    data["staff"]["desk"]["shifts"] = [{"start_h": 0, "end_h": 24, "count": desk}]
    data["policy"]["close_timer"] = close_timer
    return data


def test_staff_estimate_is_offered_load_over_utilisation() -> None:
    data = _one_category(False, 1, 30.0, 0.5)
    sc = scenario_from_dict(data)
    per_day = 0.5 * sc.scenario.units * sc.scenario.occupancy
    load = per_day * (4.0 + 2.0 + 1.0 + 30.0) / 1440.0  # record, classify, dispatch, close
    log = _small(1.0)
    (desk,) = [e for e in estimate_staff(log, data, utilisation=0.5, waiting=False)
               if e.role == "desk"]
    assert desk.load == pytest.approx(load)
    assert desk.count == max(math.ceil(load / 0.5), math.ceil(desk.active_p95))
    # with the close as a timer the close is not desk work
    data2 = _one_category(True, 1, 30.0, 0.5)
    (d2,) = [e for e in estimate_staff(log, data2, utilisation=0.5, waiting=False)
             if e.role == "desk"]
    assert d2.load == pytest.approx(per_day * 7.0 / 1440.0)


def test_close_timer_frees_the_desk() -> None:
    """One clerk, a 10-hour close after a remote resolution: as desk work it blocks the next
    tickets' recording; as a timer it does not (same arrivals: common random numbers)."""
    waits = {}
    for timer in (False, True):
        sc = scenario_from_dict(_one_category(timer, 1, 600.0, 0.05))
        log = simulate(sc, seed=5, days=5)
        ev = log.events
        rec = ev[ev["activity"].astype(str) == "recorded"].groupby("ticket_id")["timestamp"].min()
        rcv = ev[ev["activity"].astype(str) == "received"].groupby("ticket_id")["timestamp"].min()
        waits[timer] = ((rec - rcv).dt.total_seconds() / 60).mean()
        closes = ev[ev["activity"].astype(str) == "closed"]
        assert len(closes) == len(log.tickets)
    assert waits[True] < 10.0 < waits[False]


def test_validation_table_intervals_are_replication_percentiles() -> None:
    obs = simulate(load_scenario("apartment"), seed=11, days=7)
    sim = replicate(load_scenario("apartment"), seed=12, replications=4, days=7)
    start, end = obs.manifest["window"]
    t = validation_table(obs, sim, start=start, end=end).set_index("measure")
    si = evaluate(sim).indicators
    si = si[si["level"].astype(str) == "replication"]
    v = si.loc[si["indicator"].astype(str) == "timeliness", "value"].to_numpy(float)
    row = t.loc["timeliness"]
    assert row["pi_low"] == pytest.approx(np.percentile(v, 2.5))
    assert row["pi_high"] == pytest.approx(np.percentile(v, 97.5))
    assert row["sim_mean"] == pytest.approx(v.mean())
    assert row["inside"] == (row["pi_low"] <= row["observed"] <= row["pi_high"])
    assert {"timeliness", "satisfaction", "accuracy", "pass_rate", "recognition",
            "callback_rate"} <= set(t.index)
    assert any(m.startswith("clock:") for m in t.index)
    weeks = 1.0
    for cat in ("engineering", "cleaning"):
        n = (obs.tickets["category"].astype(str) == cat).sum()
        assert t.loc[f"arrivals_per_week:{cat}", "observed"] == pytest.approx(n / weeks)
        assert t.loc[f"arrivals_per_week:{cat}", "n_observed"] == n  # the count, not a share
    arrivals = t[t["kind"] == "arrivals"]
    assert arrivals["measurable"].all() and (arrivals["n_observed"] < 20).any()
    # a denominator below 20 is not measurable, with the reason
    small = t[(t["n_observed"] < 20) & (t["kind"] != "arrivals")]
    assert (~small["measurable"]).all()
    assert small["reason"].str.contains("denominator").all()
    d = pd.DataFrame({"measure": ["cycle_time"], "kind": ["duration"], "ks": [0.25]})
    s = summary(t.reset_index(), d)
    judged = t[t["measurable"] & t["inside"].notna()]
    assert s["inside_share"] == pytest.approx(judged["inside"].astype(bool).mean())
    assert s["n_measurable"] == len(judged) and s["cycle_time_ks"] == 0.25


def test_unmeasurable_reason_comes_from_the_manifest() -> None:
    obs = simulate(load_scenario("apartment"), seed=11, days=7)
    obs.manifest["measurability"] = {"record": {"kind": "clock", "measurable": False,
                                                "reason": "received synthesised"}}
    sim = replicate(load_scenario("apartment"), seed=12, replications=2, days=7)
    start, end = obs.manifest["window"]
    t = validation_table(obs, sim, start=start, end=end).set_index("measure")
    assert not t.loc["clock:record", "measurable"]
    assert t.loc["clock:record", "reason"] == "received synthesised"
    assert t.loc["clock:record", "inside"] is None


def test_compare_does_not_judge_what_the_log_cannot_measure() -> None:
    from fcsim.compare import compare

    obs = simulate(load_scenario("apartment"), seed=11, days=7)
    obs.manifest["measurability"] = {"record": {"kind": "clock", "measurable": False,
                                                "reason": "received synthesised"}}
    sim = replicate(load_scenario("apartment"), seed=12, replications=2, days=7)
    clk = compare(obs, sim).clocks.set_index("control_point")
    assert clk.loc["record", "inside"] is None and not clk.loc["record", "measurable"]
    assert "received synthesised" in clk.loc["record", "reason"]
    judged = clk.drop(index="record")
    assert judged["measurable"].all() and judged["inside"].notna().all()


def test_ngram_distance_zero_on_itself_and_slice_by_first_event() -> None:
    log = _small(4.0)
    assert ngram_distance(log, log) == 0.0
    start = pd.Timestamp(log.manifest["window"][0])
    mid = start + pd.Timedelta(days=2)
    a, b = slice_log(log, start, mid), slice_log(log, mid, start + pd.Timedelta(days=30))
    assert len(a.tickets) + len(b.tickets) == len(log.tickets)
    first = a.events.groupby("ticket_id")["timestamp"].min()
    assert (first < mid).all()


def test_ngram_distance_is_the_same_whatever_the_string_hashing() -> None:
    """The distance is one float sum over the n-grams; with the processes' string hashing
    (``PYTHONHASHSEED``) free to order them, its last bits would differ between runs. Four
    processes with different hash seeds print the same ``repr``; it equals the definition
    summed with exact fractions."""
    import itertools
    import subprocess
    import sys
    from fractions import Fraction

    code = ("from fcsim.scenarios import load_scenario; from fcsim.sim import simulate; "
            "from fcsim.validate.distances import ngram_distance; "
            "a = simulate(load_scenario('apartment'), seed=3, days=14); "
            "b = simulate(load_scenario('apartment'), seed=4, days=14); "
            "print(repr(ngram_distance(a, b)))")
    outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True, env={**os.environ, "PYTHONHASHSEED": str(h)}
                           ).stdout.strip() for h in (1, 2, 3, 4)}
    assert len(outs) == 1, outs
    a = simulate(load_scenario("apartment"), seed=3, days=14)
    b = simulate(load_scenario("apartment"), seed=4, days=14)

    def grams(log: EventLog) -> dict[tuple[str, str], int]:
        out: dict[tuple[str, str], int] = {}
        for _, g in log.events.groupby("ticket_id", observed=True, sort=False):
            seq = ["^", *g["activity"].astype(str), "$"]
            for pair in itertools.pairwise(seq):
                out[pair] = out.get(pair, 0) + 1
        return out

    ga, gb = grams(a), grams(b)
    ta, tb = sum(ga.values()), sum(gb.values())
    exact = sum(abs(Fraction(ga.get(k, 0), ta) - Fraction(gb.get(k, 0), tb))
                for k in set(ga) | set(gb)) / 2
    assert float(outs.pop()) == pytest.approx(float(exact), rel=1e-12)


@pytest.mark.slow
def test_validate_cli_writes_its_files(tmp_path: Path) -> None:
    obs = simulate(load_scenario("apartment"), seed=21, days=28)
    from fcsim.eventlog import write_log

    write_log(obs, tmp_path / "obs")
    out = tmp_path / "v"
    rc = main(["validate", str(tmp_path / "obs"), "--train", "2026-03-02", "2026-03-16",
               "--test", "2026-03-16", "2026-03-30", "-r", "3", "--workers", "1",
               "--out", str(out)])
    assert rc == 0
    t = pd.read_csv(out / "validation.csv")
    assert list(t.columns[:8]) == ["measure", "kind", "observed", "sim_mean", "pi_low",
                                   "pi_high", "inside", "measurable"]
    s = json.loads((out / "summary.json").read_text())
    assert {"inside_share", "n_measurable", "cycle_time_ks", "mean_relative_pi_width"} <= set(s)
    d = pd.read_csv(out / "distances.csv")
    assert {"cycle_time", "arrivals_absolute_hour", "activity_2gram"} <= set(d["measure"])
    assert "Held-out validation" in (out / "report.html").read_text()
    sc = load_scenario(out / "scenario.toml")
    assert sc.scenario.start.isoformat().startswith("2026-03-02")


def test_run_start_sets_the_window(tmp_path: Path) -> None:
    rc = main(["run", "apartment", "--days", "1", "--start", "2026-05-04T06:00",
               "--no-report", "--no-progress", "--out", str(tmp_path / "r")])
    assert rc == 0
    m = read_log(tmp_path / "r").manifest
    assert m["start"] == "2026-05-04T06:00:00+08:00"
    assert m["unfinished_at_horizon"]["n_tickets"] > 0


def test_arrivals_only_log_calibrates_and_compares(tmp_path: Path) -> None:
    from fcsim.calibrate import ARRIVALS_ONLY, calibrate
    from fcsim.compare import compare

    full = simulate(load_scenario("apartment"), seed=4, days=14)
    ev = full.events[full.events["activity"].astype(str) == "received"].reset_index(drop=True)
    obs = EventLog.from_frames(ev, full.tickets, {"kind": "observed"})
    base = load_scenario("apartment")
    cal = calibrate(obs, base)
    assert ARRIVALS_ONLY in cal.warnings
    assert cal.scenario.staff == base.staff  # nothing to estimate staff from: kept, and said
    n = (obs.tickets["category"].astype(str) == "engineering").sum()
    assert cal.arrivals.categories["engineering"].n == n
    sim = replicate(cal.scenario, seed=1, replications=2, days=3)
    c = compare(obs, sim)
    assert c.distances["n_observed"].max() == 0  # no observed stage or cycle time


@pytest.mark.slow
def test_gamma_day_factor_is_recovered_by_the_calibration() -> None:
    """Daily counts of a mixed Poisson process with a gamma day factor of cv 0.5: the method
    of moments recovers it (240 days of about 37 arrivals: standard error about 0.03, the
    tolerance 0.12 is four of them); a Poisson scenario gives about 0."""
    from fcsim.calibrate.arrivals import day_dispersion
    from fcsim.scenarios import apply_overrides
    from fcsim.sim.arrivals import arrival_schedule
    from fcsim.sim.streams import Streams

    base = load_scenario("apartment")
    disp = apply_overrides(base, ["scenario.day_factor_cv=0.5"])
    tz = base.scenario.tz
    # without the factor the arrivals are the Poisson ones, draw for draw
    a0 = arrival_schedule(base, Streams(7, 0), 30.0)
    a1 = arrival_schedule(apply_overrides(base, ["scenario.day_factor_cv=0"]), Streams(7, 0),
                          30.0)
    assert np.array_equal(a0.time_min, a1.time_min)
    got = {}
    for name, sc in (("poisson", base), ("gamma", disp)):
        log = simulate(sc, seed=3, days=240)
        got[name], n_days = day_dispersion(log, tz=tz)
        assert n_days >= 238
    assert abs(got["gamma"] - 0.5) < 0.12
    assert got["poisson"] < 0.1


def test_joint_bootstrap_draws_observed_vectors_and_keeps_other_draws() -> None:
    from fcsim.sim.draws import TicketDraws
    from fcsim.sim.run import _STAGE_FIELDS
    from fcsim.sim.streams import Streams

    sc = load_scenario("apartment")
    cat = sc.categories["engineering"]
    st = sc.stages
    dists = {f: getattr(st, a) for f, a in _STAGE_FIELDS.items()}
    dists.update(diagnose=cat.diagnose_min, work=cat.work_min, charge=cat.charge,
                 callback_retry=sc.outcomes.callback_retry_min,
                 callout=sc.staff["engineering"].callout_min)
    rows = [(5.0, 100.0), (50.0, 10.0), (7.0, 0.0)]
    plain = TicketDraws(Streams(1, 0), "engineering", dists)
    joint = TicketDraws(Streams(1, 0), "engineering", dists, joint_fields=("dispatch", "work"),
                        joint_rows=rows)
    seen = set()
    for i in range(600):
        p, q = plain.first_pass(i), joint.first_pass(i)
        assert (q.dispatch, q.work) in rows
        seen.add((q.dispatch, q.work))
        assert q._replace(dispatch=p.dispatch, work=p.work) == p  # every other draw kept
    assert seen == set(rows)  # 600 draws of three equally likely rows: all appear


def test_calibration_writes_a_joint_bootstrap_of_dependent_stages() -> None:
    """A simulated log whose dispatch and work are drawn as dependent pairs: the calibrated
    scenario carries observed (dispatch, work) vectors of the log."""
    from fcsim.calibrate import calibrate
    from fcsim.calibrate.passes import stage_samples
    from fcsim.scenarios import apply_overrides

    pairs = [[float(10 + k), float(200 - 5 * k)] for k in range(30)]
    sc = apply_overrides(load_scenario("apartment"), [
        'categories.engineering.joint_fields=["dispatch","work"]',
        f"categories.engineering.joint_rows={pairs}"])
    log = simulate(sc, seed=2, days=40)
    cal = calibrate(log, load_scenario("apartment"), keep_roster=True)
    eng = cal.scenario.categories["engineering"]
    assert {"dispatch", "work"} <= set(eng.joint_fields)
    i, j = eng.joint_fields.index("dispatch"), eng.joint_fields.index("work")
    s = stage_samples(log)
    assert len(eng.joint_rows) >= 30
    obs_disp = s.loc[s["stage"] == "dispatch", "value_min"].to_numpy(float)
    assert all(np.isclose(obs_disp, r[i], rtol=1e-5).any() for r in eng.joint_rows)
    x = np.array([[r[i], r[j]] for r in eng.joint_rows])
    from scipy import stats

    assert stats.kendalltau(x[:, 0], x[:, 1]).statistic < -0.5  # the dependence is kept
    ind = calibrate(log, load_scenario("apartment"), keep_roster=True,
                    dependence="independent")
    assert ind.scenario.categories["engineering"].joint_fields == ()


def test_calibrate_accepts_the_logs_own_source_names() -> None:
    from fcsim.calibrate import calibrate

    log = _small(6.0)
    tk = log.tickets.copy()
    src = tk["source"].astype(object).copy()
    src.iloc[::2] = "email"
    tk["source"] = src
    own = EventLog.from_frames(log.events, tk, log.manifest)
    cal = calibrate(own, load_scenario("apartment"), keep_roster=True)
    assert any("['email']" in w for w in cal.warnings)
    eng = tk[tk["category"].astype(str) == "engineering"]
    share = (eng["source"].astype(str).isin(["email", "customer_call"])).mean()
    got = cal.scenario.categories["engineering"].sources
    assert got["customer_call"] == pytest.approx(share, abs=1e-5)
