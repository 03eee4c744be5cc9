"""fcsim.experiment: combining logs, seeds, warm-up, replication counts, and the runner
(worker-count invariance with a process pool and a Dask cluster; common random numbers)."""

from __future__ import annotations

import filecmp
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import need
from logbuilder import LogBuilder
from scipy import stats

from fcsim.eventlog import EventLog, EventLogError, canonical_events, canonical_tickets
from fcsim.experiment import (
    Mser5,
    WholeWeeks,
    combine_logs,
    merge_manifests,
    mser5_truncation,
    replication_seed,
    replication_seeds,
    replications_for_half_width,
    replications_table,
    run_experiment,
    suggest_warmup,
    versions,
)
from fcsim.scenarios import Scenario, apply_overrides, load_scenario, scenario_from_dict
from fcsim.sim import simulate

T0 = "2026-03-02T00:00:00+00:00"


# --------------------------------------------------------------------------- helpers


def _add_ticket(b: LogBuilder, tid: str, scen: str, rep: int, t: float, res: str,
                seq0: int, category: str) -> None:
    tk = b.ticket(tid, scenario=scen, replication=rep, category=category,
                  route=(False, False, False))
    tk.at(t, "received", seq=seq0, resource=res)
    tk.at(t + 30, "recorded", started_at=t, seq=seq0 + 1, resource=res)
    tk.at(t + 40, "closed", seq=seq0 + 2, resource=res)


def _mmc(c: int, name: str) -> Scenario:
    """The shipped M/M/c scenario with ``c`` desk clerks, renamed."""
    data = load_scenario("mmc").model_dump(mode="json", by_alias=True)
    data["scenario"]["name"] = name
    data["staff"]["desk"]["shifts"][0]["count"] = c
    return scenario_from_dict(data)


def _mean_wait_min(log: EventLog) -> pd.Series:
    """Mean wait (receipt to start of recording, minutes) per (scenario, replication)."""
    ev = log.events
    rec = ev[ev["activity"] == "recorded"].groupby("ticket_id", observed=True)["started_at"].min()
    got = ev[ev["activity"] == "received"].groupby("ticket_id", observed=True)["timestamp"].min()
    wait = (rec - got).dt.total_seconds() / 60.0
    tk = log.tickets.set_index("ticket_id")
    frame = pd.DataFrame({"wait": wait, "scenario": tk["scenario"].astype(str),
                          "replication": tk["replication"].astype(int)}).dropna()
    return frame.groupby(["scenario", "replication"])["wait"].mean()


def _same_files(a: Path, b: Path) -> list[str]:
    names_a = sorted(p.relative_to(a).as_posix() for p in a.rglob("*") if p.is_file())
    names_b = sorted(p.relative_to(b).as_posix() for p in b.rglob("*") if p.is_file())
    assert names_a == names_b
    return [n for n in names_a if not filecmp.cmp(a / n, b / n, shallow=False)]


# --------------------------------------------------------------------------- combine


def test_combine_logs_equals_the_canonical_log_of_all_rows() -> None:
    one = LogBuilder(T0)
    _add_ticket(one, "z-r0-1", "zeta", 0, 0, "desk-2", 0, "help")
    _add_ticket(one, "z-r0-2", "zeta", 0, 60, "desk-9", 3, "help")
    two = LogBuilder(T0)
    _add_ticket(two, "a-r1-1", "alpha", 1, 10, "desk-1", 0, "complaint")
    both = LogBuilder(T0)  # the same rows, built as one log: the oracle
    _add_ticket(both, "z-r0-1", "zeta", 0, 0, "desk-2", 0, "help")
    _add_ticket(both, "z-r0-2", "zeta", 0, 60, "desk-9", 3, "help")
    _add_ticket(both, "a-r1-1", "alpha", 1, 10, "desk-1", 0, "complaint")

    got = combine_logs([one.build(), two.build()])
    want = both.build()
    assert got.equals(want)
    # categories are the sorted union, exactly as canonicalisation makes them
    assert list(got.events["resource"].cat.categories) == ["desk-1", "desk-2", "desk-9"]
    assert list(got.tickets["scenario"].cat.categories) == ["alpha", "zeta"]
    assert canonical_events(got.events).equals(got.events)
    assert canonical_tickets(got.tickets).equals(got.tickets)
    assert list(got.events.index) == list(range(9))


def test_combine_logs_rejects_a_ticket_id_in_two_logs() -> None:
    a, b = LogBuilder(T0), LogBuilder(T0)
    _add_ticket(a, "T1", "s", 0, 0, "desk-1", 0, "help")
    _add_ticket(b, "T1", "s", 1, 0, "desk-1", 0, "help")
    with pytest.raises(EventLogError, match="T1"):
        combine_logs([a.build(), b.build()])
    with pytest.raises(ValueError, match="at least one"):
        combine_logs([])


def test_merge_manifests_keeps_bounds_and_config_per_scenario() -> None:
    m1 = {"scenario": "a", "seed": 7, "replication": 0, "control_points": {"a": {"record": 1}},
          "scenario_config": {"x": 1}}
    m2 = {"scenario": "a", "seed": 7, "replication": 1, "control_points": {"a": {"record": 1}},
          "scenario_config": {"x": 1}}
    m3 = {"scenario": "b", "seed": 7, "replication": 0, "control_points": {"b": {"record": 2}},
          "scenario_config": {"x": 2}}
    got = merge_manifests([m1, m2, m3, None])
    assert got["control_points"] == {"a": {"record": 1}, "b": {"record": 2}}
    assert got["scenario_config"] == {"a": {"x": 1}, "b": {"x": 2}}
    assert got["seed"] == 7
    assert "replication" not in got and "scenario" not in got


# --------------------------------------------------------------------------- seeds, manifest


def test_replication_seed_is_the_spawned_child_of_the_root() -> None:
    children = np.random.SeedSequence(42).spawn(3)
    for i, child in enumerate(children):
        ss = replication_seed(42, i)
        assert ss.spawn_key == (i,)
        assert np.array_equal(ss.generate_state(4), child.generate_state(4))
    recs = replication_seeds(42, 3)
    assert [r["spawn_key"] for r in recs] == [[0], [1], [2]]
    assert recs[2]["state0"] == int(children[2].generate_state(1)[0])
    with pytest.raises(ValueError, match="seed"):
        replication_seed(-1, 0)
    with pytest.raises(ValueError, match="replication"):
        replication_seed(1, -2)


def test_versions_name_every_package() -> None:
    v = versions()
    assert set(v) == {"fcsim", "python", "numpy", "pandas", "simpy", "scipy"}
    assert v["numpy"] == np.__version__ and v["pandas"] == pd.__version__


# --------------------------------------------------------------------------- replications


def test_replications_for_half_width_hand_worked() -> None:
    pilot = [-1.0, 0.0, 1.0]  # s = 1 exactly
    # h = 0.5: t(.975, 17)/sqrt(18) = 2.1098/4.2426 = 0.4973 <= 0.5, while
    #          t(.975, 16)/sqrt(17) = 2.1199/4.1231 = 0.5142 > 0.5  -> 18
    assert replications_for_half_width(pilot, 0.5) == 18
    # h = 1: t(.975, 6)/sqrt(7) = 2.4469/2.6458 = 0.9248; t(.975, 5)/sqrt(6) = 1.0494 -> 7
    assert replications_for_half_width(pilot, 1.0) == 7
    # 99 %, h = 1: t(.995, 10)/sqrt(11) = 3.1693/3.3166 = 0.9556;
    #              t(.995, 9)/sqrt(10) = 3.2498/3.1623 = 1.0277 -> 11
    assert replications_for_half_width(pilot, 1.0, confidence=0.99) == 11
    assert replications_for_half_width([2.0, 2.0, np.nan], 0.1) == 2
    for bad in ([1.0], [np.nan, 1.0]):
        with pytest.raises(ValueError, match="two pilot values"):
            replications_for_half_width(bad, 0.5)
    with pytest.raises(ValueError, match="half_width"):
        replications_for_half_width(pilot, 0.0)


def test_replications_table_uses_the_replication_rows() -> None:
    ind = pd.DataFrame({
        "level": ["replication"] * 4 + ["scenario"],
        "scenario": ["s", "s", "s", "t", "s"],
        "replication": [0, 1, 2, 0, None],
        "indicator": ["accuracy"] * 5,
        "value": [-1.0, 0.0, 1.0, 0.5, 0.0],
    })
    got = replications_table(ind, 0.5)
    assert got["scenario"].tolist() == ["s", "t"]
    assert got["replications"].tolist()[0] == 18
    assert pd.isna(got["replications"].tolist()[1]) and got["pilot"].tolist() == [3, 1]


# --------------------------------------------------------------------------- warm-up


def test_mser5_hand_worked() -> None:
    # 50 transient values, then batches whose means are all 0.4: MSER is 0 from d = 10 on
    series = [10.0] * 50 + [0.0, 1.0, 0.0, 1.0, 0.0] * 40
    assert mser5_truncation(series) == 50
    assert mser5_truncation([0.0, 1.0, 0.0, 1.0, 0.0] * 20) == 0  # stationary: keep all
    # plain MSER (batch 1) on z = [4, 0, 1, 0]: MSER(0) = 10.75/16 = 0.672,
    # MSER(1) = (2/3)/9 = 0.074, MSER(2) = 0.5/4 = 0.125 -> delete 1
    assert mser5_truncation([4.0, 0.0, 1.0, 0.0], batch=1) == 1
    assert mser5_truncation([1.0, 2.0, 3.0]) == 0  # fewer than two batches
    with pytest.raises(ValueError, match="index 1"):
        mser5_truncation([1.0, np.inf])


def test_mser5_window_on_a_hand_built_log() -> None:
    # one ticket per hour for 40 h; the first 10 spend 100 min in the system, the rest 10 min:
    # hourly batches of 5 -> z = [100, 100, 10, ...] -> MSER-5 deletes 10 hours
    b = LogBuilder(T0)
    for h in range(40):
        stay = 6000 if h < 10 else 600
        tk = b.ticket(f"s-r0-{h:03d}", scenario="s", replication=0, route=(False, False, False))
        tk.at(h * 3600 + 60, "received").at(h * 3600 + 60 + stay, "closed")
    lg = b.build()
    start = pd.Timestamp(T0)
    assert Mser5().window(lg, start=start) == (start + pd.Timedelta(hours=10), None)
    assert WholeWeeks(2).window(lg, start=start) == (start + pd.Timedelta(days=14), None)
    with pytest.raises(ValueError):
        WholeWeeks(-1)


def test_suggest_warmup_by_stationarity() -> None:
    mmc = load_scenario("mmc")
    assert suggest_warmup(mmc) == Mser5()
    weekly = apply_overrides(mmc, ["profiles.flat.weekly=[1, 1, 1, 1, 1, 0.5, 0.5]"])
    assert suggest_warmup(weekly) == WholeWeeks(1)


# --------------------------------------------------------------------------- runner


def test_run_experiment_rejects_bad_arguments() -> None:
    mmc = load_scenario("mmc")
    with pytest.raises(ValueError, match="unique"):
        run_experiment([mmc, mmc], seed=1, replications=1, days=0.1, workers=0)
    with pytest.raises(ValueError, match="replications"):
        run_experiment([mmc], seed=1, replications=0, days=0.1, workers=0)
    with pytest.raises(ValueError, match="seed"):
        run_experiment([mmc], seed=-3, replications=1, days=0.1, workers=0)
    with pytest.raises(ValueError, match="days"):
        run_experiment([mmc], seed=1, replications=1, days=-1.0, workers=0)
    with pytest.raises(ValueError, match="workers"):
        run_experiment([mmc], seed=1, replications=1, days=0.1, workers=-2)


def test_tasks_are_exactly_simulate_and_progress_counts_them() -> None:
    scens = [_mmc(3, "c3"), _mmc(4, "c4")]
    calls: list[tuple[int, int]] = []
    res = run_experiment(scens, seed=11, replications=2, days=0.25, workers=0,
                         progress=lambda d, t: calls.append((d, t)))
    assert calls == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert res.log is not None
    tk, ev = res.log.tickets, res.log.events
    for scen in scens:
        for rep in range(2):
            direct = simulate(scen, seed=11, replication=rep, days=0.25)
            mine = tk[(tk["scenario"] == scen.name) & (tk["replication"] == rep)]
            sub = EventLog.from_frames(ev[ev["ticket_id"].isin(mine["ticket_id"])], mine)
            assert sub.equals(direct)
    # task order: scenarios as given, replications ascending
    assert res.tasks[["scenario", "replication"]].values.tolist() == [
        ["c3", 0], ["c3", 1], ["c4", 0], ["c4", 1]]
    man = res.manifest
    assert man["scenarios"] == ["c3", "c4"] and man["seed"] == 11 and man["replications"] == 2
    assert set(man["control_points"]) == {"c3", "c4"}
    assert man["versions"]["pandas"] == pd.__version__
    assert len(man["replication_seeds"]) == 2
    # the KPI scenario rows hold the mean of the replication rows
    ind = res.kpi.indicators
    acc = ind[(ind["indicator"] == "accuracy") & (ind["scenario"] == "c3")]
    reps = acc[acc["level"] == "replication"]["value"].astype(float)
    summary = acc[acc["level"] == "scenario"]["value"].astype(float)
    assert summary.iloc[0] == pytest.approx(reps.mean())
    lean = run_experiment(scens, seed=11, replications=2, days=0.25, workers=0,
                          keep_logs=False)
    assert lean.log is None and lean.kpi.indicators.equals(res.kpi.indicators)


def test_a_failing_task_names_its_scenario_and_replication(monkeypatch: Any) -> None:
    import fcsim.sim

    def boom(scenario: Scenario, **kw: Any) -> EventLog:
        raise ValueError("no staff")

    monkeypatch.setattr(fcsim.sim, "simulate", boom)
    with pytest.raises(RuntimeError, match=r"scenario 'mmc', replication 0: ValueError"):
        run_experiment([load_scenario("mmc")], seed=1, replications=1, days=0.1, workers=0)


@pytest.mark.slow
def test_results_are_identical_for_one_and_two_process_workers(tmp_path: Path) -> None:
    scens = [_mmc(3, "c3"), _mmc(4, "c4")]
    kw: dict[str, Any] = {"seed": 5, "replications": 3, "days": 0.5, "warmup": Mser5()}
    one = run_experiment(scens, workers=1, **kw)
    two = run_experiment(scens, workers=2, **kw)
    assert one.tasks["pid"].nunique() == 1
    assert two.tasks["pid"].nunique() >= 2, "two workers must both have done work"
    one.write(tmp_path / "one")
    two.write(tmp_path / "two")
    assert _same_files(tmp_path / "one", tmp_path / "two") == []
    assert (tmp_path / "one" / "log" / "events.csv.gz").exists()
    assert (tmp_path / "one" / "manifest.json").exists()


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_results_are_identical_on_a_dask_cluster_of_processes(tmp_path: Path) -> None:
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        need(False, "dask[distributed] is not installed (the 'dask' extra)")
        return
    scens = [_mmc(3, "c3"), _mmc(4, "c4")]
    kw: dict[str, Any] = {"seed": 5, "replications": 3, "days": 0.5}
    local = run_experiment(scens, workers=1, **kw)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        dask = run_experiment(scens, executor=client.get_executor(), **kw)
    assert dask.tasks["pid"].nunique() >= 2, "both Dask worker processes must have done work"
    local.write(tmp_path / "local")
    dask.write(tmp_path / "dask")
    assert _same_files(tmp_path / "local", tmp_path / "dask") == []


@pytest.mark.slow
def test_common_random_numbers_share_streams_across_scenarios() -> None:
    """c versus c+1 clerks: the same arrivals in both, and a paired difference of mean waits
    whose variance is far below the unpaired one (positive correlation, 99.9 % interval)."""
    reps = 30
    res = run_experiment([_mmc(3, "c3"), _mmc(4, "c4")], seed=2026, replications=reps,
                         days=1.0, workers=0)
    assert res.log is not None
    tk, ev = res.log.tickets, res.log.events
    got = ev[ev["activity"] == "received"].merge(tk[["ticket_id"]], on="ticket_id")
    arrivals = {s: got[got["scenario"] == s].sort_values(["replication", "timestamp"])
                ["timestamp"].to_numpy() for s in ("c3", "c4")}
    assert np.array_equal(arrivals["c3"], arrivals["c4"])  # same arrival stream

    wait = _mean_wait_min(res.log)
    w3 = wait.loc["c3"].to_numpy()
    w4 = wait.loc["c4"].to_numpy()
    assert np.all(w3 >= w4)  # one more clerk never makes a replication wait longer here
    paired = float(np.var(w3 - w4, ddof=1))
    unpaired = float(np.var(w3, ddof=1) + np.var(w4, ddof=1))
    assert paired < unpaired
    # corr > 0  <=>  Var(W3 - W4) < Var(W3) + Var(W4); Fisher z interval at 99.9 %
    r = float(np.corrcoef(w3, w4)[0, 1])
    half = stats.norm.ppf(0.9995) / math.sqrt(reps - 3)
    lo, hi = math.tanh(math.atanh(r) - half), math.tanh(math.atanh(r) + half)
    assert lo > 0, f"CRN correlation {r:.3f}, 99.9 % interval [{lo:.3f}, {hi:.3f}]"
    assert hi - lo < 0.8  # the interval is informative

    # control: independent seeds for the two scenarios give no such correlation
    other = run_experiment([_mmc(4, "c4")], seed=7, replications=reps, days=1.0, workers=0)
    assert other.log is not None
    w4_ind = _mean_wait_min(other.log).loc["c4"].to_numpy()
    r_ind = float(np.corrcoef(w3, w4_ind)[0, 1])
    lo_i = math.tanh(math.atanh(r_ind) - half)
    hi_i = math.tanh(math.atanh(r_ind) + half)
    assert lo_i < 0 < hi_i, f"independent streams correlated: r = {r_ind:.3f}"


def test_whole_week_warmup_drops_the_first_weeks_tickets() -> None:
    mmc = load_scenario("mmc")
    res = run_experiment([mmc], seed=4, replications=1, days=8.0, workers=0,
                         warmup=WholeWeeks(1))
    start = pd.Timestamp(T0)
    assert res.manifest["kpi_window"] == [(start + pd.Timedelta(days=7)).isoformat(), None]
    assert res.manifest["warmup"] == {"rule": "whole_weeks", "weeks": 1}
    assert res.log is not None
    ev = res.log.events
    received = ev[ev["activity"] == "received"]["timestamp"]
    late = int((received >= start + pd.Timedelta(days=7)).sum())
    assert 0 < late < len(received)
    ind = res.kpi.indicators
    acc = ind[(ind["level"] == "replication") & (ind["indicator"] == "accuracy")]
    assert int(acc["denominator"].iloc[0]) == late  # every mmc ticket has record_accurate
