"""fcsim.experiment.sweep and ``fcsim sweep``: factorial variants in one tidy table."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from fcsim.cli import main
from fcsim.experiment import parse_vary, sweep, variants
from fcsim.model.indicators import INDICATOR_IDS
from fcsim.scenarios import ScenarioError, load_scenario

RECORD = "stages.record_min.mean"
UNREACHABLE = "outcomes.unreachable_p"


def test_parse_vary_splits_values_outside_brackets_and_quotes() -> None:
    assert parse_vary("a.b=1,2, 3") == ("a.b", ["1", "2", "3"])
    assert parse_vary("p.w=[1, 2],[3,4]") == ("p.w", ["[1, 2]", "[3,4]"])
    assert parse_vary("x.y='a,b',c") == ("x.y", ["'a,b'", "c"])
    for bad, msg in (("a.b", "expected"), ("a.b=1,,2", "empty"), ("=1", "empty"),
                     ("a.b=1,1", "repeated")):
        with pytest.raises(ValueError, match=msg):
            parse_vary(bad)


def test_variants_are_the_factorial_product_with_validated_values() -> None:
    base = load_scenario("mmc")
    vs = variants(base, [f"{UNREACHABLE}=0.1,0.2", f"{RECORD}=5,10,20"],
                  overrides=["scenario.days=3"])
    assert [v.name for v in vs] == [f"mmc-v{k:02d}" for k in range(1, 7)]
    want = [(0.1, 5.0), (0.1, 10.0), (0.1, 20.0), (0.2, 5.0), (0.2, 10.0), (0.2, 20.0)]
    assert [(v.values[UNREACHABLE], v.values[RECORD]) for v in vs] == want
    for v, (p, mean) in zip(vs, want, strict=True):
        assert v.scenario.name == v.name
        assert v.scenario.outcomes.unreachable_p == p
        assert v.scenario.stages.record_min.mean == mean
        assert v.scenario.scenario.days == 3.0  # the fixed override reached every variant
    assert base.name == "mmc" and base.outcomes.unreachable_p == 0.0  # base untouched
    assert [v.name for v in variants(base, [])] == ["mmc"]


def test_invalid_variant_values_are_rejected_naming_the_field() -> None:
    base = load_scenario("mmc")
    with pytest.raises(ScenarioError, match="unreachable_p"):
        variants(base, [f"{UNREACHABLE}=0.5,2"])
    with pytest.raises(ScenarioError, match="no_such"):
        variants(base, ["outcomes.no_such.x=1"])
    with pytest.raises(ValueError, match=r"scenario\.name"):
        variants(base, ["scenario.name=a,b"])


def test_sweep_table_holds_each_variants_indicator_means() -> None:
    base = load_scenario("mmc")
    res = sweep(base, [f"{RECORD}=2,10"], seed=3, replications=2, days=0.25, workers=0)
    t = res.table
    assert list(t.columns[:3]) == ["variant", RECORD, "indicator"]
    assert {"value", "ci_low", "ci_high", "target", "met"} <= set(t.columns)
    assert len(t) == 2 * len(INDICATOR_IDS)
    assert t["variant"].tolist() == ["mmc-v01"] * 6 + ["mmc-v02"] * 6
    assert t[RECORD].tolist() == [2.0] * 6 + [10.0] * 6
    assert t["indicator"].tolist() == list(INDICATOR_IDS) * 2
    ind = res.experiment.kpi.indicators
    for name in ("mmc-v01", "mmc-v02"):
        reps = ind[(ind["level"] == "replication") & (ind["scenario"] == name)
                   & (ind["indicator"] == "timeliness")]["value"].astype(float)
        row = t[(t["variant"] == name) & (t["indicator"] == "timeliness")]
        assert float(row["value"].iloc[0]) == pytest.approx(reps.mean())
    # recording within 60 s is met far more often when it takes 2 min than 10 min on average
    tl = t[t["indicator"] == "timeliness"].set_index("variant")["value"].astype(float)
    assert tl["mmc-v01"] > tl["mmc-v02"]
    man = res.experiment.manifest
    assert man["base"] == "mmc"
    assert man["variants"] == [{"name": "mmc-v01", "values": {RECORD: 2.0}},
                               {"name": "mmc-v02", "values": {RECORD: 10.0}}]
    assert res.experiment.log is None  # sweeps keep no log unless asked


def test_cli_sweep_writes_the_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sw"
    rc = main(["sweep", "mmc", "--vary", f"{RECORD}=2,10", "--days", "0.25", "-r", "2",
               "--workers", "0", "--seed", "3", "--no-progress", "--out", str(out)])
    assert rc == 0
    printed = capsys.readouterr().out
    assert "mmc-v01" in printed and "mmc-v02" in printed
    table = pd.read_csv(out / "sweep.csv")
    assert len(table) == 12 and table[RECORD].tolist() == [2.0] * 6 + [10.0] * 6
    for name in ("indicators.csv", "control_points.csv", "periods.csv", "manifest.json"):
        assert (out / name).exists(), name
    assert not (out / "log").exists()


def test_cli_sweep_reports_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["sweep", "mmc", "--vary", f"{UNREACHABLE}=0.1,7", "--days", "0.1", "-r", "1",
               "--workers", "0", "--no-progress", "--out", str(tmp_path / "x")])
    assert rc == 2
    assert "unreachable_p" in capsys.readouterr().err
    rc = main(["sweep", "mmc", "--vary", "nonsense", "--out", str(tmp_path / "y")])
    assert rc == 2
    assert "expected path.to.field" in capsys.readouterr().err
