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


def test_argument_types_name_the_bad_value() -> None:
    import argparse

    import pytest

    from fcsim.cli._args import int_at_least, positive_float, unit_interval

    assert int_at_least(2)("3") == 3 and positive_float("0.5") == 0.5
    for parse, text, msg in [(int_at_least(2), "1", "must be >= 2, got 1"),
                             (positive_float, "0", "must be > 0, got 0"),
                             (unit_interval, "1", "must be in (0, 1), got 1")]:
        with pytest.raises(argparse.ArgumentTypeError, match=msg.replace("(", r"\(").replace(")", r"\)")):
            parse(text)
