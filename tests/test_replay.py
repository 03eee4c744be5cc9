"""Trace-driven replay: exactly the observed arrivals, another roster, KPI differences."""

from __future__ import annotations

import pandas as pd
import pytest

from fcsim.cli import main
from fcsim.compare import replay_differences
from fcsim.eventlog import EventLog, write_log
from fcsim.scenarios import load_scenario
from fcsim.sim import simulate
from fcsim.sim.trace import replay

FEWER_ENGINEERS = ("staff.engineering.shifts=[{start_h=8,end_h=17,count=1},"
                   "{start_h=17,end_h=23,count=1},{start_h=23,end_h=32,count=1,on_call=true}]")


def _received(log: EventLog) -> pd.Series:
    ev = log.events
    r = ev[(ev["activity"].astype(str) == "received") & (ev["attempt"] == 1)]
    return r.set_index(r["ticket_id"].astype(str))["timestamp"].sort_index()


@pytest.fixture(scope="module")
def observed() -> EventLog:
    return simulate(load_scenario("apartment"), seed=99, days=7)


def test_replay_keeps_the_observed_ids_times_and_categories(observed: EventLog) -> None:
    sc = load_scenario("apartment")
    rp = replay(observed, sc, seed=5, replications=2)
    assert len(rp.logs) == 2
    for lg in rp.logs:
        pd.testing.assert_series_equal(_received(lg), _received(observed), check_names=False)
        a = observed.tickets.set_index(observed.tickets["ticket_id"].astype(str))
        b = lg.tickets.set_index(lg.tickets["ticket_id"].astype(str)).loc[a.index]
        assert (a["category"].astype(str) == b["category"].astype(str)).all()
        assert (a["emergency"] == b["emergency"]).all()
        assert (a["mode"].astype(str) == b["mode"].astype(str)).all()


def test_fewer_technicians_never_help_and_no_change_is_no_difference(observed: EventLog) -> None:
    sc = load_scenario("apartment")
    base = replay(observed, sc, seed=5, replications=3)
    same = replay(observed, sc, seed=5, replications=3)
    d0 = replay_differences(observed, same, base)
    assert (d0["diff_vs_baseline"].fillna(0) == 0).all()
    fewer = replay(observed, sc, seed=5, replications=3, overrides=[FEWER_ENGINEERS])
    d = replay_differences(observed, fewer, base).set_index("indicator")
    # same tickets, same service times (common random numbers): fewer engineers, later visits
    assert d.loc["timeliness", "diff_vs_baseline"] < 0
    assert d.loc["satisfaction", "diff_vs_baseline"] <= 0
    assert set(d.index) == {"timeliness", "satisfaction", "accuracy", "pass_rate",
                            "recognition", "callback_rate"}
    obs_t = d.loc["timeliness", "observed"]
    assert d.loc["timeliness", "diff_vs_observed"] == pytest.approx(
        d.loc["timeliness", "replay_mean"] - obs_t)


def test_unknown_category_is_named(observed: EventLog) -> None:
    sc = load_scenario("apartment")
    tk = observed.tickets.copy()
    tk["category"] = tk["category"].cat.add_categories(["plumbing"])
    tk.loc[0, "category"] = "plumbing"
    bad = EventLog(observed.events, tk, observed.manifest)
    with pytest.raises(ValueError, match=r"ticket .* has category 'plumbing'"):
        replay(bad, sc, seed=1)


def test_cli_replay(observed: EventLog, tmp_path) -> None:
    write_log(observed, tmp_path / "obs")
    assert main(["replay", str(tmp_path / "obs"), "--scenario", "apartment", "--set",
                 FEWER_ENGINEERS, "--replications", "2", "--out", str(tmp_path / "r")]) == 0
    diff = pd.read_csv(tmp_path / "r" / "differences.csv")
    assert "diff_vs_baseline" in diff.columns and len(diff) == 6
