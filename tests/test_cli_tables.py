"""The terminal indicator table picks the right level and aligns CJK labels."""

from __future__ import annotations

import pandas as pd

from fcsim.cli._tables import indicator_table, text_width

COLS = ["level", "scenario", "replication", "indicator", "value", "ci_low", "ci_high", "target",
        "met", "numerator", "denominator", "n_censored"]


def _rows(level: str, scenario: str | None, rep: int | None, value: float) -> list[list[object]]:
    return [[level, scenario, rep, "timeliness", value, value - 0.1, value + 0.1, "= 100 %",
             False, 5, 10, 0]]


def test_single_replication_shows_its_wilson_row() -> None:
    ind = pd.DataFrame(_rows("replication", "a", 0, 0.5) + _rows("scenario", "a", None, 0.5),
                       columns=COLS)
    out = indicator_table(ind)
    assert "[40.00 %, 60.00 %]" in out and "5/10" in out and "及時率" in out


def test_several_replications_show_the_scenario_row() -> None:
    ind = pd.DataFrame(_rows("replication", "a", 0, 0.4) + _rows("replication", "a", 1, 0.6)
                       + _rows("scenario", "a", None, 0.55), columns=COLS)
    out = indicator_table(ind)
    assert "55.00 %" in out and "[45.00 %, 65.00 %]" in out
    assert "40.00 %" not in out and "60.00 %" not in out  # replication rows are not shown


def test_cjk_width() -> None:
    assert text_width("及時率 ab") == 9
