"""``fcsim kpi``: the contract's three files, bounds from a file or a scenario, a window."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from fcsim.cli import main
from fcsim.eventlog import EventLog, read_log, write_log

AS_OF = "2026-03-03T04:01:40+00:00"


def _timeliness(out: Path) -> tuple[int, int]:
    ind = pd.read_csv(out / "indicators.csv").set_index("indicator")
    return int(ind.loc["timeliness", "numerator"]), int(ind.loc["timeliness", "denominator"])


def test_writes_the_expected_tables_and_prints_bilingual_labels(
    kpi_examples: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    vector = kpi_examples / "observed-day"
    assert main(["kpi", str(vector), "--as-of", AS_OF, "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "及時率" in printed and "timeliness rate" in printed and "5/12" in printed
    got = pd.read_csv(tmp_path / "control_points.csv")
    want = pd.read_csv(vector / "expected" / "control_points.csv")
    pd.testing.assert_frame_equal(got, want)
    ind = pd.read_csv(tmp_path / "indicators.csv")
    exp = pd.read_csv(vector / "expected" / "indicators.csv")
    pd.testing.assert_frame_equal(ind[["indicator", "numerator", "denominator"]],
                                  exp[["indicator", "numerator", "denominator"]])
    periods = pd.read_csv(tmp_path / "periods.csv")
    assert set(periods["indicator"]) == set(exp["indicator"])


def test_bounds_from_a_file_change_the_verdicts(kpi_examples: Path, tmp_path: Path) -> None:
    bounds = tmp_path / "tight.toml"
    bounds.write_text("[on_site]\nupper_s = 200\n")
    out = tmp_path / "out"
    assert main(["kpi", str(kpi_examples / "observed-day"), "--as-of", AS_OF,
                 "--control-points", str(bounds), "--out", str(out)]) == 0
    # by hand: on-site 300 s (T01, T06 both passes, T10) now breach; T03 and T07 stay all-met
    assert _timeliness(out) == (2, 12)


def test_window_selects_tickets_by_receipt(kpi_examples: Path, tmp_path: Path) -> None:
    assert main(["kpi", str(kpi_examples / "observed-day"), "--as-of", AS_OF, "--window",
                 "2026-03-02T20:00:00+08:00", "2026-03-03T08:00:00+08:00",
                 "--out", str(tmp_path)]) == 0
    # receipts 12:00–24:00 UTC: T05 (breach), T06 (met), T07 (met), T08 (breach), T09 (breach)
    assert _timeliness(tmp_path) == (2, 5)


def test_scenario_bounds(kpi_examples: Path, tmp_path: Path) -> None:
    assert main(["kpi", str(kpi_examples / "observed-day"), "--as-of", AS_OF,
                 "--scenario", "hospital", "--out", str(tmp_path)]) == 0
    cp = pd.read_csv(tmp_path / "control_points.csv")
    on_site = cp[cp["control_point"] == "on_site"].set_index("ticket_id")
    # the hospital's 5-minute on-post rule covers emergencies (T04) and critical patients
    # only; the vector's other tickets are engineering, non-emergency: the ordinary 600 s
    assert on_site.loc["T04", "upper_s"] == 300.0
    others = on_site.drop(index="T04")
    assert len(others) > 0 and set(others["upper_s"]) == {600.0}


def test_scenario_bounds_critical_category(kpi_examples: Path, tmp_path: Path) -> None:
    """The same tickets relabelled ``critical`` get the hospital's 300 s on-site bound."""
    log = read_log(kpi_examples / "observed-day")
    tk = log.tickets.copy()
    tk["category"] = "critical"
    write_log(EventLog.from_frames(log.events, tk), tmp_path / "log", fmt="csv")
    assert main(["kpi", str(tmp_path / "log"), "--as-of", AS_OF,
                 "--scenario", "hospital", "--out", str(tmp_path / "out")]) == 0
    cp = pd.read_csv(tmp_path / "out" / "control_points.csv")
    on_site = cp[cp["control_point"] == "on_site"]
    assert set(on_site["upper_s"]) == {300.0}
    # T01's on-site 300 s is exactly the bound: met (inclusive)
    assert on_site[on_site["ticket_id"] == "T01"]["status"].item() == "met"


def test_bad_as_of_is_a_clear_error(kpi_examples: Path, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["kpi", str(kpi_examples / "observed-day"), "--as-of", "2026-03-03 04:00",
              "--out", str(tmp_path)])
    assert exc.value.code == 2
    assert "needs a UTC offset" in capsys.readouterr().err
