"""``fcsim staff`` answers with the same ``summary.json`` as ``fcsim roster``: status, solver,
cost per week with its currency, criteria with intervals inside [0, 1], iterations; exit 0
whether the target is met or out of reach."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fcsim.cli import main

KEYS = {"status", "answer", "solver", "cost_per_week", "currency", "criteria", "iterations"}


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.parametrize(("target", "status", "days"), [("clock.record>=0.01", "met", "0.5"),
                                                        ("clock.record>=99%", "unreachable",
                                                         "7")])
def test_staff_summary_json(tmp_path: Path, capsys: pytest.CaptureFixture[str], target: str,
                            status: str, days: str) -> None:
    out = tmp_path / "out"
    # (the ceiling and the breach sources are computed on simulated weeks: --days 7)
    rc = main(["staff", "mmc", "--role", "desk", "-r", "3", "--days", days, "--seed", "5",
               "--target", target, "--spread", "1", "--out", str(out)])
    assert rc == 0
    summ = json.loads((out / "summary.json").read_text())
    assert KEYS <= set(summ)
    assert summ["status"] == status
    assert summ["solver"]["status"] in ("optimal", "feasible", "infeasible", "time_limit")
    assert summ["currency"] == "person-hour"  # mmc has no [costs]
    assert summ["cost_per_week"] > 0
    for c in summ["criteria"]:
        assert 0 <= c["ci_low"] <= c["estimate"] <= c["ci_high"] <= 1
        assert c["met"] == (status == "met")
    assert summ["answer"]["en"] in capsys.readouterr().out
    if status == "unreachable":
        assert summ["ceiling"]["kpi"] == "clock.record" and summ["breach_sources"]
        c = summ["ceiling"]["estimate"]
        assert 0 <= c["ci_low"] <= c["estimate"] <= c["ci_high"] <= 1
