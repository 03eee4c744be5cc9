"""The shared test vector (kpi-examples/observed-day) reproduces its expected tables."""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fcsim.eventlog import EventLog, read_log
from fcsim.kpi import control_points, evaluate, indicators, write_kpi
from fcsim.kpi.stats import wilson_interval


def _load(kpi_examples: Path):
    d = kpi_examples / "observed-day"
    as_of = pd.Timestamp((d / "as_of.txt").read_text().strip())
    return read_log(d), as_of, d / "expected"


def _roundtrip(df: pd.DataFrame) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(df.to_csv(index=False)), keep_default_na=True)


def _assert_same(got: pd.DataFrame, exp: pd.DataFrame) -> None:
    assert list(got.columns) == list(exp.columns)
    assert len(got) == len(exp)
    for col in exp.columns:
        g, e = got[col], exp[col]
        if pd.api.types.is_float_dtype(e) and pd.api.types.is_float_dtype(g):
            np.testing.assert_allclose(g.to_numpy(float), e.to_numpy(float), rtol=1e-12,
                                       atol=0, equal_nan=True, err_msg=col)
        else:
            assert g.astype(str).tolist() == e.astype(str).tolist(), col


def test_control_points_match_expected(kpi_examples: Path) -> None:
    log, as_of, exp_dir = _load(kpi_examples)
    got = control_points(log, as_of=as_of)
    assert str(got["start"].dtype) == "datetime64[ms, UTC]"
    assert str(got["duration_s"].dtype) == "Float64"
    assert str(got["replication"].dtype) == "Int32"
    _assert_same(_roundtrip(got), pd.read_csv(exp_dir / "control_points.csv"))


def test_indicators_match_expected(kpi_examples: Path) -> None:
    log, as_of, exp_dir = _load(kpi_examples)
    got = indicators(log, as_of=as_of)
    assert str(got["met"].dtype) == "boolean"
    assert str(got["numerator"].dtype) == "Int64"
    _assert_same(_roundtrip(got), pd.read_csv(exp_dir / "indicators.csv"))


def test_evaluate_and_write_kpi(kpi_examples: Path, tmp_path: Path) -> None:
    log, as_of, exp_dir = _load(kpi_examples)
    res = evaluate(log, as_of=as_of)
    write_kpi(res, tmp_path)
    # the clock table is written byte for byte as the expected file
    assert (tmp_path / "control_points.csv").read_text() == (
        exp_dir / "control_points.csv").read_text()
    _assert_same(pd.read_csv(tmp_path / "indicators.csv"),
                 pd.read_csv(exp_dir / "indicators.csv"))
    per = pd.read_csv(tmp_path / "periods.csv")
    # every ticket's R is on Mon 2026-03-02 or Tue 2026-03-03: one ISO week, partial (as_of
    # is before the week ends); its counts are the log's
    assert per["period_start"].unique().tolist() == ["2026-03-02 00:00:00+00:00"]
    assert per["period_end"].unique().tolist() == ["2026-03-09 00:00:00+00:00"]
    assert per["partial"].all()
    assert per.set_index("indicator")[["numerator", "denominator"]].to_dict("index") == {
        "timeliness": {"numerator": 5, "denominator": 12},
        "satisfaction": {"numerator": 8, "denominator": 9},
        "accuracy": {"numerator": 12, "denominator": 13},
        "pass_rate": {"numerator": 9, "denominator": 10},
        "recognition": {"numerator": 11, "denominator": 12},
        "callback_rate": {"numerator": 9, "denominator": 10},
    }


@pytest.mark.parametrize("cut, status", [
    ("2026-03-03T03:02:40+00:00", "censored"),   # T12: 120 s after recorded, not over
    ("2026-03-03T03:02:41+00:00", "breached"),   # one second over the 120 s bound
])
def test_dispatch_breached_while_open_boundary(kpi_examples: Path, cut: str, status: str) -> None:
    log, _, _ = _load(kpi_examples)
    cp = control_points(log, as_of=pd.Timestamp(cut))
    row = cp[(cp["ticket_id"] == "T12") & (cp["control_point"] == "dispatch")]
    assert row["status"].tolist() == [status]
    assert row["lateness_s"].tolist() == ([pd.NA] if status == "censored" else [1.0])


def test_replicated_vector_as_scenario(kpi_examples: Path) -> None:
    """Three replications of the vector in one scenario, each shifted one more week earlier,
    events shuffled: a replication seen at the vector's as_of plus its shift gives the
    vector's counts; scenario rows sum the counts and average the values."""
    log, as_of, exp_dir = _load(kpi_examples)
    evs, tks = [], []
    for r in range(3):
        shift = pd.Timedelta(weeks=-r)
        ev = log.events.copy()
        tk = log.tickets.copy()
        for df in (ev, tk):
            df["ticket_id"] = df["ticket_id"].astype(str) + f"-r{r}"
            df["scenario"] = "base"
            df["replication"] = r
        ev["timestamp"] = ev["timestamp"] + shift
        for col in ("booked_at", "appointment_at"):
            tk[col] = tk[col] + shift
        evs.append(ev)
        tks.append(tk)
    ev_all = pd.concat(evs, ignore_index=True).sample(frac=1.0, random_state=7)
    big = EventLog.from_frames(ev_all, pd.concat(tks, ignore_index=True))
    exp = pd.read_csv(exp_dir / "indicators.csv")
    # replication 0 (unshifted) at the vector's as_of is the vector
    got = indicators(big, as_of=as_of)
    rep0 = got[(got["level"] == "replication") & (got["replication"] == 0)]
    assert rep0["numerator"].tolist() == exp["numerator"].tolist()
    assert rep0["denominator"].tolist() == exp["denominator"].tolist()
    cp = control_points(big, as_of=as_of)
    cp0 = cp[cp["replication"] == 0].reset_index(drop=True)
    want = pd.read_csv(exp_dir / "control_points.csv")
    assert cp0["status"].tolist() == want["status"].tolist()
    assert cp0["ticket_id"].astype(str).str.removesuffix("-r0").tolist() == want[
        "ticket_id"].tolist()
    # shifted one week earlier, replication 1 seen one week earlier is the vector; then
    # replication 0 has no ticket yet (denominators 0) and drops out of the scenario mean
    later = indicators(big, as_of=as_of - pd.Timedelta(weeks=1))
    rep1 = later[(later["level"] == "replication") & (later["replication"] == 1)]
    assert rep1["numerator"].tolist() == exp["numerator"].tolist()
    assert rep1["denominator"].tolist() == exp["denominator"].tolist()
    sc = later[later["level"] == "scenario"].set_index("indicator")
    reps = later[later["level"] == "replication"]
    for ind, sub in reps.groupby("indicator"):
        assert sc.loc[ind, "numerator"] == sub["numerator"].sum()
        assert sc.loc[ind, "denominator"] == sub["denominator"].sum()
        assert sub.loc[sub["replication"] == 0, "denominator"].tolist() == [0]
        assert sc.loc[ind, "value"] == pytest.approx(sub["value"].astype(float).mean())
        used = sub[sub["replication"] != 0]
        k = used["numerator"].astype(float).tolist()
        n = used["denominator"].astype(float).tolist()
        mean = sc.loc[ind, "value"]
        if k[0] / n[0] == k[1] / n[1]:  # equal values: Wilson on the pooled counts
            lo, hi = wilson_interval(np.array([k[0] + k[1]]), np.array([n[0] + n[1]]))
            lo, hi = lo[0], hi[0]
        else:  # logit-t with 1 degree of freedom, widened to hold the mean
            z1, z2 = (math.log((a + 0.5) / (b - a + 0.5)) for a, b in zip(k, n, strict=True))
            t1 = math.tan(0.475 * math.pi)  # t quantile, 1 degree of freedom
            half = t1 * abs(z1 - z2) / 2  # sd of two values |a-b|/√2, over √2
            m = (z1 + z2) / 2
            lo = min(1 / (1 + math.exp(-(m - half))), mean)
            hi = max(1 / (1 + math.exp(-(m + half))), mean)
        assert sc.loc[ind, "ci_low"] == pytest.approx(lo, abs=1e-12)
        assert sc.loc[ind, "ci_high"] == pytest.approx(hi, abs=1e-12)
        assert 0 <= sc.loc[ind, "ci_low"] <= mean <= sc.loc[ind, "ci_high"] <= 1
    assert len(reps) == 18 and len(sc) == 6
