"""Properties of every simulated log: valid lifecycle, canonical frames, reproducibility, CRN."""

from __future__ import annotations

import io
import itertools
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fcsim.eventlog.frames import canonical_events, canonical_tickets
from fcsim.eventlog.io import write_log
from fcsim.eventlog.lifecycle_check import validate_log
from fcsim.eventlog.schema import EVENT_COLUMNS, TICKET_COLUMNS
from fcsim.scenarios import apply_overrides, load_scenario
from fcsim.sim import replicate, simulate
from fcsim.sim.outcomes import satisfaction_p

APARTMENT = load_scenario("apartment")
HOSPITAL = load_scenario("hospital")

# variants that stress every branch: misroutes, blocking and meetings, rework, unreachable
# customers, hand-over at the end of shifts, preempted jobs sent to the back of the queue
STRESS = [
    "categories.engineering.misroute_p=0.3", "categories.engineering.block_p=0.3",
    "categories.engineering.supervisor_resolves_p=0.3", "categories.engineering.reject_p=0.3",
    "categories.engineering.emergency_p=0.3", "outcomes.unreachable_p=0.5",
    "outcomes.sample_callback_p=0.5",
]


def _assert_valid(log) -> None:  # type: ignore[no-untyped-def]
    v = validate_log(log)
    assert v.empty, v.head(20).to_string()
    assert canonical_events(log.events).equals(log.events)
    assert canonical_tickets(log.tickets).equals(log.tickets)
    assert list(log.events.columns) == list(EVENT_COLUMNS)
    assert list(log.tickets.columns) == list(TICKET_COLUMNS)
    for col, dtype in EVENT_COLUMNS.items():
        if dtype != "category":
            assert log.events[col].dtype == dtype, col


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 2**32 - 1),
       end_of_shift=st.sampled_from(["finish", "handover"]),
       position=st.sampled_from(["front", "back"]),
       stress=st.booleans())
def test_every_apartment_log_passes_the_lifecycle(seed: int, end_of_shift: str, position: str,
                                                  stress: bool) -> None:
    sets = [f"policy.end_of_shift={end_of_shift}", f"policy.preempted_position={position}"]
    sc = apply_overrides(APARTMENT, sets + (STRESS if stress else []))
    log = simulate(sc, seed=seed, days=3)
    _assert_valid(log)
    closed = log.events[log.events["activity"] == "closed"]["ticket_id"].nunique()
    assert closed == len(log.tickets)  # the drain finishes every ticket


@settings(max_examples=4, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_every_hospital_log_passes_the_lifecycle(seed: int) -> None:
    _assert_valid(simulate(HOSPITAL, seed=seed, days=2))


def test_stress_variant_exercises_every_activity() -> None:
    sc = apply_overrides(APARTMENT, [*STRESS, "policy.end_of_shift=handover"])
    log = simulate(sc, seed=5, days=10)
    _assert_valid(log)
    seen = set(log.events["activity"].astype(str))
    from fcsim.model.activities import Activity

    assert seen == {a.value for a in Activity}, {a.value for a in Activity} - seen


def _bytes(log) -> bytes:  # type: ignore[no-untyped-def]
    buf = io.StringIO()
    log.events.to_csv(buf, index=False)
    log.tickets.to_csv(buf, index=False)
    return buf.getvalue().encode()


def test_same_seed_gives_byte_identical_logs(tmp_path) -> None:  # type: ignore[no-untyped-def]
    a = simulate(APARTMENT, seed=42, days=5)
    b = simulate(APARTMENT, seed=42, days=5)
    write_log(a, tmp_path / "a")
    write_log(b, tmp_path / "b")
    for name in ("events.csv.gz", "tickets.csv.gz", "manifest.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert _bytes(simulate(APARTMENT, seed=43, days=5)) != _bytes(a)


def test_manifest_and_ids() -> None:
    log = simulate(HOSPITAL, seed=3, replication=2, days=1)
    m = log.manifest
    assert m is not None
    assert m["scenario"] == "hospital" and m["seed"] == 3 and m["replication"] == 2
    assert m["days"] == 1.0
    assert m["window"] == ["2026-03-02T00:00:00+08:00", "2026-03-03T00:00:00+08:00"]
    # scenario-wide 600 s; the 5-minute on-post rule only for critical patients / emergencies
    assert m["control_points"]["hospital"]["on_site"] == {"lower_s": None, "upper_s": 600.0}
    assert m["control_point_overrides"]["hospital"]["on_site"] == {
        "category": {"critical": {"lower_s": None, "upper_s": 300.0}},
        "emergency": {"lower_s": None, "upper_s": 300.0}}
    assert m["time_zone"] == {"hospital": "Asia/Shanghai"}
    json.dumps(m)  # JSON-serialisable
    assert m["scenario_config"]["scenario"]["name"] == "hospital"
    ids = log.tickets["ticket_id"].astype(str)
    assert ids.str.fullmatch(r"hospital-r2-\d{6}").all() and ids.is_unique
    assert (log.events["replication"] == 2).all() and (log.events["scenario"] == "hospital").all()
    received = log.events[log.events["activity"] == "received"]["timestamp"]
    start = pd.Timestamp("2026-03-02T00:00:00+08:00")
    assert received.min() >= start and received.max() < start + pd.Timedelta(days=1)


def test_replicate_concatenates_the_same_replications() -> None:
    rep = replicate(APARTMENT, seed=9, replications=3, days=2)
    _assert_valid(rep)
    assert rep.tickets["ticket_id"].is_unique
    assert sorted(rep.tickets["replication"].unique().tolist()) == [0, 1, 2]
    one = simulate(APARTMENT, seed=9, replication=1, days=2)
    sub = rep.tickets[rep.tickets["replication"] == 1].reset_index(drop=True)
    assert sub["ticket_id"].astype(str).tolist() == one.tickets["ticket_id"].astype(str).tolist()
    assert sub["category"].astype(str).tolist() == one.tickets["category"].astype(str).tolist()


def test_common_random_numbers_across_staffing_variants() -> None:
    # a variant with more staff sees exactly the same tickets (arrivals and intake facts)
    plus = apply_overrides(APARTMENT, ["staff.desk.shifts=[{start_h=0, end_h=24, count=3}]"])
    a = simulate(APARTMENT, seed=77, days=7)
    b = simulate(plus, seed=77, days=7)
    cols = ["ticket_id", "category", "emergency", "source", "mode", "booked_at",
            "appointment_at", "location", "record_accurate"]
    pd.testing.assert_frame_equal(a.tickets[cols].astype(str), b.tickets[cols].astype(str))
    rec_a = a.events[a.events["activity"] == "received"]["timestamp"].to_numpy()
    rec_b = b.events[b.events["activity"] == "received"]["timestamp"].to_numpy()
    assert np.array_equal(rec_a, rec_b)


def test_higher_rejection_probability_gives_more_rework() -> None:
    more = apply_overrides(APARTMENT, [f"categories.{c}.reject_p=0.3" for c in
                                       ("complaint", "help", "engineering", "cleaning")])
    a = simulate(APARTMENT, seed=8, days=14).events
    b = simulate(more, seed=8, days=14).events
    assert (b["activity"] == "rejected").sum() > (a["activity"] == "rejected").sum()
    assert b["attempt"].max() >= 2


def test_desk_answered_and_emergency_paths() -> None:
    log = simulate(HOSPITAL, seed=4, days=3)
    ev, tk = log.events, log.tickets.set_index("ticket_id")
    first = tk.index[tk["category"] == "first_inquiry"]
    acts = set(ev[ev["ticket_id"].isin(first)]["activity"].astype(str))
    assert acts <= {"received", "relayed", "recorded", "classified", "closed"}
    crit = tk.index[tk["category"] == "critical"]
    e = ev[ev["ticket_id"].isin(crit)]
    assert set(e[e["activity"] == "emergency_reported"]["ticket_id"]) == set(crit)
    # an emergency goes to site first: nothing between dispatch and arrival but the travel
    for _, g in e.groupby("ticket_id", observed=True):
        order = g.sort_values(["timestamp", "seq"])["activity"].astype(str).tolist()
        assert order.index("arrived") < order.index("signed")


def test_satisfaction_model_falls_with_lateness_and_rework() -> None:
    kw = {"base": 0.99, "lateness_scale_min": 60.0, "rework_factor": 0.5}
    assert satisfaction_p(0, 1, **kw) == pytest.approx(0.99)
    assert satisfaction_p(60, 1, **kw) == pytest.approx(0.99 / np.e)
    assert satisfaction_p(0, 2, **kw) == pytest.approx(0.495)
    with pytest.raises(ValueError):
        satisfaction_p(-1, 1, **kw)


def test_days_must_be_positive() -> None:
    with pytest.raises(ValueError, match="days"):
        simulate(APARTMENT, seed=1, days=0)


def test_all_six_indicators_are_produced() -> None:
    from fcsim.kpi import evaluate

    log = simulate(APARTMENT, seed=12, days=14)
    ind = evaluate(log).indicators
    rows = ind[ind["level"] == "replication"].set_index("indicator")
    assert set(rows.index) == {"timeliness", "satisfaction", "accuracy", "pass_rate",
                               "recognition", "callback_rate"}
    assert rows["value"].notna().all() and (rows["denominator"] > 0).all()


def test_hospital_on_post_clock_is_five_minutes() -> None:
    from fcsim.kpi import evaluate

    log = simulate(HOSPITAL, seed=13, days=2)
    cp = evaluate(log).control_points  # bounds from the run's manifest, resolved per row
    on_site = cp[cp["control_point"] == "on_site"]
    tk = log.tickets.set_index(log.tickets["ticket_id"].astype(str))
    ids = on_site["ticket_id"].astype(str)
    rule = (tk.loc[ids, "emergency"].astype(bool).to_numpy()
            | (tk.loc[ids, "category"].astype(str) == "critical").to_numpy())
    assert rule.any() and (~rule).any()
    upper = on_site["upper_s"].astype(float).to_numpy()
    assert (upper[rule] == 300.0).all() and (upper[~rule] == 600.0).all()


def test_fcsim_run_cli_writes_log_and_kpis(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    from fcsim.cli import main
    from fcsim.eventlog import read_log

    out = tmp_path / "run"
    rc = main(["run", "apartment", "--days", "2", "--seed", "5", "--no-progress",
               "--no-report", "--set", "categories.engineering.rate_per_unit_day=0.05",
               "--out", str(out)])
    assert rc == 0
    for name in ("events.csv.gz", "tickets.csv.gz", "manifest.json", "indicators.csv",
                 "control_points.csv", "periods.csv"):
        assert (out / name).exists(), name
    log = read_log(out)
    direct = simulate(apply_overrides(APARTMENT,
                                      ["categories.engineering.rate_per_unit_day=0.05"]),
                      seed=5, days=2)
    assert len(log.events) == len(direct.events)
    assert "apartment" in capsys.readouterr().out
    rc = main(["run", "apartment", "--days", "1", "--no-progress", "--no-report",
               "--set", "categories.fire.emergency_p=2", "--out", str(out)])
    assert rc == 2
    assert "categories.fire.emergency_p" in capsys.readouterr().err


def test_progress_is_reported_up_to_one() -> None:
    seen: list[float] = []
    simulate(APARTMENT, seed=1, days=3, progress=seen.append)
    assert seen and seen[-1] == 1.0
    assert all(0.0 <= a <= b <= 1.0 for a, b in itertools.pairwise(seen))
    seen.clear()
    replicate(APARTMENT, seed=1, replications=2, days=1, progress=seen.append)
    assert seen[-1] == 1.0 and max(seen) == 1.0 and any(0.4 < v < 0.6 for v in seen)
