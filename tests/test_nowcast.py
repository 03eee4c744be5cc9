"""The live twin: snapshots, forward runs, forecasts, "what if" and the backtest.

Most tests use a scenario whose every duration is fixed and every branch probability zero, so
that a simulated log is an exact trace: continuing its open tickets from any cut must reproduce
the log's own future, event for event, and every forecast is certain (0 or 1) and right.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from fcsim.eventlog import EventLog
from fcsim.eventlog.times import to_ms
from fcsim.model.activities import ACTIVITY_CODES, Activity
from fcsim.model.stages import Stage
from fcsim.nowcast import breach_probabilities, forecast
from fcsim.nowcast.backtest import backtest
from fcsim.nowcast.metrics import auc, brier, cluster_bootstrap, exceedance
from fcsim.scenarios import apply_overrides, load_scenario
from fcsim.scenarios.config import Scenario
from fcsim.scenarios.load import scenario_from_dict
from fcsim.sim.arrivals import Arrivals
from fcsim.sim.forward import draw_inputs, plan_forward, run_forward
from fcsim.sim.run import _manifest, simulate_record
from fcsim.sim.sink import build_frames
from fcsim.sim.snapshot import snapshot

H = 60.0  # horizon, minutes


def _fixed(d: Any) -> Any:
    """Every distribution of a scenario's data replaced by a fixed value (its mean)."""
    if isinstance(d, dict):
        if "dist" in d:
            v = {"fixed": d.get("value"),
                 "uniform": (d.get("low", 0.0) + d.get("high", 0.0)) / 2}.get(
                d["dist"], d.get("mean"))
            return {"dist": "fixed", "value": float(v)}
        return {k: _fixed(v) for k, v in d.items()}
    if isinstance(d, list):
        return [_fixed(x) for x in d]
    return d


def _deterministic(*sets: str) -> Scenario:
    data = _fixed(load_scenario("apartment").to_data())
    for c in data["categories"].values():
        c.update(rate_per_unit_day=0.0, emergency_p=0.0, appointment_p=0.0, misroute_p=0.0,
                 block_p=0.0, reject_p=0.0, record_error_p=0.0)
    data["outcomes"].update(unreachable_p=0.0, sample_callback_p=0.0, satisfaction_base=1.0,
                            lateness_scale_min=1e9)
    data["quality"].update(charge_dispute_p=0.0)
    return apply_overrides(scenario_from_dict(data), list(sets))


# engineering: plan 1.5 min > 60 s (breached); cleaning's plan is within it
TIGHT_PLAN = "categories.engineering.control_points.plan={upper_s=60}"
# engineering: dispatched -> arrived takes 2 + 3 min > 4 min (breached); others within 10 min
TIGHT_ON_SITE = "categories.engineering.control_points.on_site={upper_s=240}"


def _trace(sc: Scenario, arrivals: list[tuple[float, str]]) -> EventLog:
    cats = list(sc.categories)
    n = len(arrivals)
    arr = Arrivals(np.array([t for t, _ in arrivals]),
                   np.array([cats.index(c) for _, c in arrivals]), np.zeros(n, bool),
                   np.zeros(n, bool), np.zeros(n, np.int8), np.arange(1, n + 1))
    events, tickets = build_frames([simulate_record(sc, seed=0, days=1, arrivals=arr)])
    return EventLog(events, tickets, _manifest(sc, 0, 0, 1.0))


# no queue anywhere: every stage's start is a logged event
SPREAD = [(600.0, "engineering"), (603.0, "engineering"), (606.0, "engineering"),
          (609.0, "help"), (610.0, "cleaning"), (700.0, "complaint")]
T0 = pd.Timestamp("2026-03-02T00:00:00+08:00").tz_convert("UTC")  # the scenario's start


def _at(minutes: float) -> pd.Timestamp:
    return T0 + pd.Timedelta(seconds=round(minutes * 60))


@pytest.fixture(scope="module")
def spread() -> tuple[Scenario, EventLog]:
    sc = _deterministic(TIGHT_PLAN, TIGHT_ON_SITE)
    return sc, _trace(sc, SPREAD)


def test_the_snapshot_puts_each_open_ticket_at_its_stage(spread) -> None:  # type: ignore[no-untyped-def]
    sc, log = spread
    # engineering, from its receipt: recorded 0.6, classified 0.9, dispatched 1.7, signed 3.7,
    # arrived 6.7, diagnosed 12.7 (diagnose 6) -> 8 min after 600: diagnosing for 1.3 min
    snap = snapshot(log, _at(608.0), sc)
    st = snap.stages().set_index("ticket_id")
    assert list(st.index) == ["apartment-r0-000000", "apartment-r0-000001",
                              "apartment-r0-000002"]
    assert list(st["stage"]) == [Stage.DIAGNOSE.value, Stage.TRAVEL.value,
                                 Stage.WAIT_TECHNICIAN.value]
    assert st["elapsed_min"].to_numpy() == pytest.approx([8.0 - 6.7, 5.0 - 3.7, 2.0 - 1.7])
    assert st["since"].iloc[0] == _at(606.7)
    assert len(snapshot(log, _at(599.0), sc)) == 0  # nothing received yet


def _forward_events(sc: Scenario, log: EventLog, cut: float, R: int) -> list[set[Any]]:
    snap = snapshot(log, _at(cut), sc)
    plan = plan_forward(sc, snap, H)
    e = run_forward(plan, draw_inputs(plan, R, seed=7)).events
    start = to_ms(pd.Timestamp(snap.start))
    out: list[set[Any]] = [set() for _ in range(R)]
    for r, n, a, act, ts in zip(e["rep"].tolist(), e["n"].tolist(), e["att"].tolist(),
                                e["act"].tolist(), e["ts"].tolist(), strict=True):
        ms = start + round(ts * 60000)
        if ms > to_ms(_at(cut)):
            out[r].add((snap.tickets[n].ticket_id, a, act, ms))
    return out


def _continues_exactly(sc: Scenario, log: EventLog, cut: float) -> None:
    """Forward runs from ``cut`` hold exactly the trace's own events of its open tickets up
    to the horizon."""
    ev = log.events
    end = _at(cut) + pd.Timedelta(minutes=H)
    open_ids = {o.ticket_id for o in snapshot(log, _at(cut), sc).tickets}
    fut = ev[(ev["timestamp"] > _at(cut)) & (ev["timestamp"] <= end)
             & ev["ticket_id"].isin(open_ids)]
    want = {(r.ticket_id, int(r.attempt), ACTIVITY_CODES[Activity(r.activity)],
             to_ms(r.timestamp)) for r in fut.itertuples()}
    assert want  # the cut leaves something to continue
    for got in _forward_events(sc, log, cut, R=2):
        assert got == want


@pytest.mark.parametrize("cut", [600.5, 601.3, 604.0, 611.0, 622.0, 650.0, 672.5, 676.0])
def test_forward_runs_continue_a_trace_exactly(spread, cut: float) -> None:  # type: ignore[no-untyped-def]
    _continues_exactly(*spread, cut)


def test_a_certain_forecast_is_right(spread) -> None:  # type: ignore[no-untyped-def]
    sc, log = spread
    # at 611: tickets 0..2 (engineering) diagnosing / travelling, 3 (help) dispatching,
    # 4 (cleaning) just received. Plans: engineering 1.5 min > 60 s; others met.
    fc = forecast(log, sc, _at(611.0), horizon_min=H, replications=3, seed=1)
    plans = fc.clocks[fc.clocks["control_point"] == "plan"].set_index("ticket_id")
    ev = log.events
    diag = ev[ev["activity"] == "diagnosed"].set_index("ticket_id")["timestamp"]
    planned = ev[ev["activity"] == "planned"].set_index("ticket_id")["timestamp"]
    for tid, row in plans.iterrows():
        eng = tid in ("apartment-r0-000000", "apartment-r0-000001", "apartment-r0-000002")
        assert row["p_breach"] == (1.0 if eng else 0.0)
        assert row["stop_q50"] == row["stop_q95"] == planned[tid]
        assert planned[tid] - diag[tid] == pd.Timedelta(minutes=1.5)  # the bound differs
    assert set(plans.index) == {f"apartment-r0-00000{i}" for i in range(5)}
    # ticket 4 recorded at 610.6, dispatched at 610 + 1.7: a running dispatch clock, met
    dis = fc.clocks[(fc.clocks["control_point"] == "dispatch")
                    & (fc.clocks["ticket_id"] == "apartment-r0-000004")].iloc[0]
    assert dis["status_now"] == "running" and dis["p_breach"] == 0.0
    assert dis["start"] == _at(610.6) and dis["stop_q95"] == _at(611.7)


def test_the_same_seed_gives_the_same_forecast() -> None:
    sc = load_scenario("apartment")
    from fcsim.sim.run import simulate

    log = simulate(sc, seed=3, days=3)
    as_of = _at(1440 + 11 * 60)
    a = forecast(log, sc, as_of, horizon_min=H, replications=20, seed=5)
    b = forecast(log, sc, as_of, horizon_min=H, replications=20, seed=5)
    pd.testing.assert_frame_equal(a.clocks, b.clocks)
    pd.testing.assert_frame_equal(a.hours, b.hours)
    assert len(a.clocks) and len(a.hours)


def test_the_residual_breach_probability_matches_the_conditional_law() -> None:
    """A running plan clock (lognormal plan, mean 1.5 min, cv 0.5) 1 min old breaches its 3-min
    bound with probability sf(3) / sf(1); the forecast's share must hold it."""
    from fcsim.scenarios.distributions import LogNormal

    fixed = _deterministic()
    log = _trace(fixed, [(600.0, "engineering")])
    sc = apply_overrides(fixed, ["stages.plan_min={dist='lognormal', mean=1.5, cv=0.5}"])
    R = 4000
    fc = forecast(log, sc, _at(612.7 + 1.0), horizon_min=30.0, replications=R, seed=11)
    row = fc.clocks[fc.clocks["control_point"] == "plan"].iloc[0]
    d = LogNormal(mean=1.5, cv=0.5)
    p = float(d.sf(3.0) / d.sf(1.0))
    half = 3.29 * np.sqrt(p * (1 - p) / R)  # 99.9 %
    assert half < 0.02
    assert abs(row["p_breach"] - p) < half
    # the median stop: the conditional median of the plan duration after 1 minute
    med = float(d.isf(0.5 * d.sf(1.0)))
    got = (row["stop_q50"] - _at(612.7)).total_seconds() / 60
    assert got == pytest.approx(med, abs=0.05)


def test_one_more_engineer_now_prevents_a_certain_breach() -> None:
    # four engineering requests, three engineers on the day shift: the fourth waits for the
    # first one back (slip returned at 600 + 68.2), far beyond its 10-minute on-site bound
    sc = _deterministic()
    log = _trace(sc, [(600.0, "engineering"), (602.0, "engineering"), (604.0, "engineering"),
                      (606.0, "engineering")])
    fc = forecast(log, sc, _at(607.9), horizon_min=H, replications=4, seed=2,
                  what_if=["engineering", "housekeeping"])
    w = fc.what_if.set_index(["ticket_id", "control_point", "change"])
    four = ("apartment-r0-000003", "on_site")
    assert w.loc[(*four, "+1 engineering"), ["p_base", "p_change", "delta", "ci_low",
                                            "ci_high"]].tolist() == [1.0, 0.0, -1.0, -1.0,
                                                                     -1.0]
    assert w.loc[(*four, "+1 housekeeping"), "delta"] == 0.0
    s = fc.what_if_summary.set_index(["change", "measure"])
    assert s.loc[("+1 engineering", "breaches_open_tickets"), "delta"] == -1.0
    assert s.loc[("+1 housekeeping", "breaches_open_tickets"), "delta"] == 0.0
    # a live head-count of four engineers now does what the fourth one would
    live = forecast(log, sc, _at(607.9), horizon_min=H, replications=2, seed=2,
                    on_duty={"engineering": 4})
    c = live.clocks.set_index(["ticket_id", "control_point"])
    assert c.loc[four, "p_breach"] == 0.0 and live.snapshot.on_duty["engineering"] == 4
    assert fc.snapshot.on_duty["engineering"] == 3


def test_a_backtest_of_a_trace_is_perfect(spread) -> None:  # type: ignore[no-untyped-def]
    sc, log = spread
    bt = backtest(log, sc, every_min=3.0, horizon_min=30.0, replications=2, seed=0,
                  window=(_at(600.0), _at(760.0)))
    f = bt.frame
    goal = f[f["population"] == "goal"]
    assert len(goal) > 10 and 0 < goal["outcome"].sum() < len(goal)
    assert (f["p_breach"] == f["outcome"]).all()
    s = bt.summary
    assert s["model"]["brier"] == 0.0 and s["model"]["auc"] == 1.0
    assert s["model"]["exceedance_q95"] == 0.0
    stopped = np.isfinite(goal["actual_stop"])
    assert (goal["stop_q95"][stopped] == goal["actual_stop"][stopped]).all()
    assert set(goal["control_point"]) >= {"record", "on_site", "callback"}
    assert s["origins"] == len(range(0, 160 - 30 + 1, 3))


def test_the_board_function_reads_a_recorder(tmp_path, spread) -> None:  # type: ignore[no-untyped-def]
    from fcsim.recorder import Recorder

    sc, log = spread
    rec = Recorder(f"sqlite:///{tmp_path / 'desk.db'}")
    rec.import_eventlog(log)
    a = breach_probabilities(rec, sc, _at(611.0), horizon_min=H, replications=3, seed=1)
    b = breach_probabilities(log, sc, _at(611.0), horizon_min=H, replications=3, seed=1)
    pd.testing.assert_frame_equal(a, b)
    assert {"ticket_id", "control_point", "p_breach", "stop_q95"} <= set(a.columns)
    assert len(a) > 5


# --- the scores -------------------------------------------------------------------------

def _pairs_auc(s: np.ndarray, y: np.ndarray) -> float:
    pos, neg = s[y], s[~y]
    return float(np.mean([(p > n) + 0.5 * (p == n) for p in pos for n in neg]))


def test_auc_is_the_share_of_ordered_pairs() -> None:
    rng = np.random.default_rng(0)
    s = rng.integers(0, 5, 40) / 4  # ties on purpose
    y = rng.random(40) < 0.3
    assert auc(s, y) == pytest.approx(_pairs_auc(s, y))
    assert auc(np.array([0.1, 0.9]), np.array([False, True])) == 1.0
    assert np.isnan(auc(np.array([0.2, 0.3]), np.array([True, True])))


def test_brier_and_exceedance_by_hand() -> None:
    assert brier(np.array([0.0, 1.0, 0.5, 0.2]), np.array([0, 1, 1, 1])) == pytest.approx(
        (0 + 0 + 0.25 + 0.64) / 4)
    inf = np.inf
    # later than q95 | equal | a clock still running exceeds a finite quantile | a censored
    # quantile ("after the horizon") is never exceeded
    actual = np.array([10.0, 5.0, inf, inf, 3.0])
    q95 = np.array([9.0, 5.0, 8.0, inf, inf])
    assert exceedance(actual, q95) == pytest.approx(2 / 5)


def test_cluster_bootstrap_of_a_constant_is_that_constant() -> None:
    lo, hi = cluster_bootstrap(lambda rows: 0.25, np.array([1, 1, 2, 3, 3]), draws=20)
    assert lo == hi == 0.25
    vals = np.array([0.0, 0.0, 1.0, 1.0])
    lo, hi = cluster_bootstrap(lambda rows: float(vals[rows].mean()), np.array([0, 0, 1, 1]),
                               draws=200, seed=1)
    assert 0.0 <= lo <= 0.5 <= hi <= 1.0 and lo < hi


# --- the command ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Any:  # type: ignore[no-untyped-def]
    from fcsim.cli import main

    out = tmp_path_factory.mktemp("nowcast") / "run"
    assert main(["run", "apartment", "--days", "2", "--seed", "4", "--no-progress",
                 "--no-report", "--out", str(out)]) == 0
    return out


AS_OF = "2026-03-03T02:30:00Z"  # 10:30 in Shanghai, the second day


def test_nowcast_cli_on_a_cut_log_and_on_a_recorder(run_dir, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    import json

    from fcsim.cli import main
    from fcsim.eventlog import read_log
    from fcsim.nowcast.io import csv_text
    from fcsim.recorder import Recorder

    args = ["--scenario", "apartment", "--as-of", AS_OF, "--horizon", "1h", "-r", "30",
            "--seed", "3", "--what-if", "engineering"]
    assert main(["nowcast", "--log", str(run_dir), *args, "--out", str(tmp_path / "a")]) == 0
    assert main(["nowcast", "--log", str(run_dir), *args, "--out", str(tmp_path / "b")]) == 0
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    Recorder(url).import_eventlog(read_log(run_dir))
    assert main(["nowcast", "--db", url, *args, "--out", str(tmp_path / "c")]) == 0
    names = ["clocks.csv", "hours.csv", "what_if.csv", "what_if_summary.csv", "stages.csv"]
    for name in names:  # same seed, same bytes; the recorder's export forecasts the same
        a = (tmp_path / "a" / name).read_bytes()
        assert a == (tmp_path / "b" / name).read_bytes() == (tmp_path / "c" / name).read_bytes()
    fc = forecast(read_log(run_dir), load_scenario("apartment"), pd.Timestamp(AS_OF),
                  horizon_min=60.0, replications=30, seed=3, what_if=["engineering"])
    assert (tmp_path / "a" / "clocks.csv").read_text(encoding="utf-8") == csv_text(fc.clocks)
    assert len(fc.clocks) > 0
    m = json.loads((tmp_path / "a" / "manifest.json").read_text())
    assert m["as_of"] == "2026-03-03T02:30:00+00:00" and m["open_tickets"] == len(fc.snapshot)
    out = capsys.readouterr().out
    assert "breach probability" in out and "+1 engineering" in out


def test_nowcast_live_defaults_to_now_and_a_log_needs_as_of(run_dir, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    import json

    from fcsim.cli import main

    url = f"sqlite:///{tmp_path / 'empty.db'}"
    from fcsim.recorder import Recorder

    Recorder(url)
    before = pd.Timestamp.now(tz="UTC").floor("s")
    assert main(["nowcast", "--db", url, "--scenario", "apartment", "-r", "5",
                 "--out", str(tmp_path / "live")]) == 0
    after = pd.Timestamp.now(tz="UTC")
    m = json.loads((tmp_path / "live" / "manifest.json").read_text())
    assert before <= pd.Timestamp(m["as_of"]) <= after and m["open_tickets"] == 0
    assert main(["nowcast", "--log", str(run_dir), "--scenario", "apartment",
                 "--out", str(tmp_path / "x")]) == 2
    assert "--log needs --as-of" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_nowcast_backtest_cli(run_dir, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    from fcsim.cli import main
    from fcsim.eventlog import read_log
    from fcsim.nowcast.backtest import BACKTEST_COLUMNS

    out = tmp_path / "bt"
    assert main(["nowcast", "--backtest", str(run_dir), "--scenario", "apartment",
                 "--every", "30min", "--horizon", "1h", "-r", "10", "--window",
                 "2026-03-02T00:00:00Z", "2026-03-02T12:00:00Z", "--out", str(out)]) == 0
    table = pd.read_csv(out / "backtest.csv")
    assert list(table.columns) == BACKTEST_COLUMNS
    bt = backtest(read_log(run_dir), load_scenario("apartment"), every_min=30.0,
                  horizon_min=60.0, replications=10,
                  window=(pd.Timestamp("2026-03-02T00:00:00Z"),
                          pd.Timestamp("2026-03-02T12:00:00Z")))
    assert len(table) == len(bt.frame) > 0
    assert table["p_breach"].to_numpy() == pytest.approx(bt.frame["p_breach"].to_numpy())
    s = json.loads((out / "summary.json").read_text())
    assert s["origins"] == 23 and set(s) >= {"model", "elapsed_fraction", "historical_median",
                                              "goals", "upcoming"}
    assert set(s["model"]) >= {"auc", "brier", "exceedance_q95", "per_clock"}


# --- [duration_factors] in forward runs -----------------------------------------------------

# the diagnosis takes twice as long when it starts between 10:00 and 11:00 local time
_HOURLY = [2.0 if h == 10 else 1.0 for h in range(24)]


def _with_factors(sc: Scenario, hour: list[float] | None, sigma: float = 0.0) -> Scenario:
    data = sc.to_data()
    data["duration_factors"] = {"hour": {"diagnosed": hour} if hour else {},
                                "resource_sigma": {"engineering": sigma} if sigma else {}}
    return scenario_from_dict(data)


@pytest.mark.parametrize("cut", [600.5, 604.0, 650.0])
def test_forward_runs_apply_the_hour_factors_of_the_trace(cut: float) -> None:
    """A trace whose diagnoses started in the local hour 10 took twice the fixed 6 minutes:
    continued from a cut before they start (or after they end), the forward runs reproduce
    the trace event for event — the factor of the job's local start hour is applied."""
    sc = _with_factors(_deterministic(TIGHT_PLAN, TIGHT_ON_SITE), _HOURLY)
    log = _trace(sc, SPREAD)
    ev = log.events
    eng = [f"apartment-r0-00000{i}" for i in range(3)]  # received 600, 603, 606
    diag = ev[ev["activity"] == "diagnosed"].set_index("ticket_id")["timestamp"]
    arr = ev[ev["activity"] == "arrived"].set_index("ticket_id")["timestamp"]
    assert ((diag[eng] - arr[eng]) == pd.Timedelta(minutes=12)).all()
    _continues_exactly(sc, log, cut)


def test_forward_runs_give_each_member_a_speed_factor_of_its_own() -> None:
    """σ 0.5 on the engineers: each replication's diagnoses last 6 min times one of that
    replication's member factors exp(σZ − σ²/2), Z from the stream keyed by (seed,
    replication, group); the factors differ between replications; neutral factors change
    nothing."""
    import zlib

    base = _deterministic(TIGHT_PLAN, TIGHT_ON_SITE)
    log = _trace(base, SPREAD)
    snap = snapshot(log, _at(606.5), base)  # three engineering tickets, none diagnosed yet
    sc = _with_factors(base, None, sigma=0.5)
    plan = plan_forward(sc, snap, 3 * H)
    seed, R = 11, 4
    e = run_forward(plan, draw_inputs(plan, R, seed=seed)).events
    df = pd.DataFrame(e)
    code = {a: ACTIVITY_CODES[a] for a in (Activity.ARRIVED, Activity.DIAGNOSED)}
    n_eng = len(plan.rosters["engineering"].names)
    seen = []
    for r in range(R):
        z = np.random.Generator(np.random.PCG64(np.random.SeedSequence(
            seed, spawn_key=(zlib.crc32(b"nowcast.forward.duration_factor"), r,
                             zlib.crc32(b"engineering"))))).standard_normal(n_eng)
        factors = np.exp(0.5 * z - 0.125)
        d = df[df["rep"] == r]
        t_arr = d[d["act"] == code[Activity.ARRIVED]].set_index("n")["ts"]
        t_diag = d[d["act"] == code[Activity.DIAGNOSED]].set_index("n")["ts"]
        ratios = ((t_diag - t_arr.reindex(t_diag.index)) / 6.0).to_numpy()
        assert len(ratios) == 3
        assert np.min(np.abs(ratios[:, None] - factors[None, :]), axis=1).max() < 1e-9
        seen.append(tuple(np.round(ratios, 9)))
    assert len(set(seen)) > 1
    neutral = _with_factors(base, [1.0] * 24)
    p0, p1 = plan_forward(base, snap, H), plan_forward(neutral, snap, H)
    e0 = run_forward(p0, draw_inputs(p0, 2, seed=3)).events
    e1 = run_forward(p1, draw_inputs(p1, 2, seed=3)).events
    keys = ("rep", "n", "att", "act", "ts")  # the same events (a scaled visit is logged
    rows0 = sorted(zip(*(e0[k].tolist() for k in keys), strict=True))  # step by step)
    rows1 = sorted(zip(*(e1[k].tolist() for k in keys), strict=True))
    assert rows0 == rows1 and len(rows0) > 20


def test_forward_runs_continue_remote_work_that_the_customer_rejects_then_accepts() -> None:
    """A department working without a visit whose customer rejects the first pass
    (remote_acceptance, reject_p 1, decay 0): cut while its work runs, while the customer
    decides, after the rejection, and after the acceptance (only the close left), the
    forward runs reproduce the trace."""
    data = _deterministic(TIGHT_PLAN, TIGHT_ON_SITE).to_data()
    data["categories"]["it"] = {**data["categories"]["consultation"], "department": "it",
                                "route_dispatch": True, "route_site_visit": False,
                                "route_callback": False, "remote_acceptance": True,
                                "reject_p": 1.0, "reject_decay": 0.0,
                                "work_min": {"dist": "fixed", "value": 20.0}}
    sc = scenario_from_dict(data)
    log = _trace(sc, [(600.0, "it")])
    ev = log.events.set_index("activity")["timestamp"]
    assert list(log.events["activity"].astype(str)) == [
        "received", "recorded", "classified", "dispatched", "work_completed", "rejected",
        "recorded", "classified", "dispatched", "work_completed", "accepted", "closed"]

    def minutes(ts: pd.Timestamp) -> float:
        return (ts - T0).total_seconds() / 60.0

    done = [minutes(t) for t in log.events.loc[log.events["activity"] == "work_completed",
                                               "timestamp"]]
    stages = []
    for cut in (minutes(ev["dispatched"].iloc[0]) + 5.0, done[0] + 0.01,
                minutes(ev["rejected"]) + 0.01, done[1] + 0.01, minutes(ev["accepted"]) + 0.01):
        stages.append(snapshot(log, _at(cut), sc).stages()["stage"].iloc[0])
        _continues_exactly(sc, log, cut)
    assert stages == [Stage.REMOTE.value, Stage.ACCEPTANCE.value, Stage.INTAKE.value,
                      Stage.ACCEPTANCE.value, Stage.CLOSING.value]
