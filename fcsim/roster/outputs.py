"""The files ``fcsim roster`` writes, and the ``summary.json`` that ``fcsim staff`` shares.

* ``roster.csv`` — ``staff, date, start, end, kind``: one ``work`` row per shift, one
  ``on_call`` row per night (dated by its start, spanning the whole on-call period), one ``off``
  row per person and day without a shift start (the whole day). ``start`` and ``end`` are ISO
  8601 local date-times with their offset, in the roster week (:func:`~fcsim.roster.scenario.
  week_start`);
* ``coverage.csv`` — ``group, hour_of_week, required, scheduled, on_call`` (0 = Monday 00:00
  local);
* ``summary.json`` — :func:`summary` (status, solver, cost, criteria, iterations, and when
  unreachable the ceiling and the breach sources; the sentence in both languages);
* ``risk.csv`` — the weekly risk view of the answer's simulated weeks (P(zero-breach week));
* ``roster.xlsx`` (with the ``excel`` extra), ``week.png`` (the figure) and ``report.html``.

:func:`write_outputs` writes every file into a temporary directory beside ``DIR`` and moves
them in at the end, so a failure leaves nothing half written.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import math
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from fcsim.roster.loop import LoopResult
from fcsim.roster.problem import Roster
from fcsim.roster.reach import sentence
from fcsim.roster.rules import RULES
from fcsim.roster.scenario import currency, local_start
from fcsim.scenarios import Scenario
from fcsim.staffing.requirement import ROLE_CLOCK
from fcsim.staffing.risk import HUNDRED_PERCENT, weekly_risk

__all__ = ["ROSTER_COLUMNS", "coverage_frame", "risk_frame", "roster_frame", "summary",
           "write_json_atomic", "write_outputs"]

log = logging.getLogger(__name__)

ROSTER_COLUMNS = ["staff", "date", "start", "end", "kind"]


def roster_frame(scenario: Scenario, roster: Roster) -> pd.DataFrame:
    """``roster.csv`` (see the module docstring); rows by person, date, start, kind."""
    rows: list[dict[str, str]] = []
    for p in roster.problem.people:
        starts = set()
        for a in roster.of(p.name):
            begin = local_start(scenario, a.day, a.start_h)
            end = local_start(scenario, a.day, a.start_h + a.length_h)
            rows.append({"staff": p.name, "date": begin.date().isoformat(),
                         "start": begin.isoformat(), "end": end.isoformat(), "kind": a.kind})
            if a.kind == "work":
                starts.add(a.day)
        for d in range(7):
            if d not in starts:
                b = local_start(scenario, d, 0)
                rows.append({"staff": p.name, "date": b.date().isoformat(),
                             "start": b.isoformat(), "end": local_start(scenario, d,
                                                                         24).isoformat(),
                             "kind": "off"})
    order = {"work": 0, "on_call": 1, "off": 2}
    df = pd.DataFrame(rows, columns=ROSTER_COLUMNS)
    if df.empty:
        return df
    df["_o"] = df["kind"].map(order)
    return df.sort_values(["staff", "date", "_o", "start"], kind="stable").drop(
        columns="_o").reset_index(drop=True)


def coverage_frame(roster: Roster) -> pd.DataFrame:
    """``coverage.csv``: required, scheduled and on-call people per group and hour."""
    parts = []
    for g, spec in roster.problem.groups.items():
        parts.append(pd.DataFrame({
            "group": g, "hour_of_week": range(168),
            "required": [int(x) for x in spec.requirement],
            "scheduled": roster.scheduled(g, "work").tolist(),
            "on_call": roster.scheduled(g, "on_call").tolist()}))
    return pd.concat(parts, ignore_index=True)


def risk_frame(result: LoopResult) -> pd.DataFrame:
    """The weekly risk view of the answer's simulated weeks (its 100 % targets and the
    rostered groups' clocks)."""
    m = result.weeks.metrics().copy()
    m["scenario"] = "roster"
    clocks = sorted({ROLE_CLOCK[result.analytic[g].role] for g in result.groups
                     if f"clock_breaches.{ROLE_CLOCK[result.analytic[g].role]}" in m})
    tg = [t for t in HUNDRED_PERCENT if f"breaches.{t}" in m]
    return weekly_risk(m, targets=tg, clocks=clocks)


def _r(x: float | None, nd: int = 4) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else round(float(x), nd)


def summary(result: LoopResult) -> dict[str, Any]:
    """``summary.json`` of a roster answer."""
    sc = result.scenario
    sol = result.solution
    roster = result.roster
    heads = {g: roster.people_used(g) for g in result.groups}
    zh, en = sentence(target=next((t for t, e in zip(result.targets, result.criteria,
                                                     strict=True) if not e.met),
                                  result.targets[0]),
                      status=result.status,
                      achieved=next((e for e in result.criteria if not e.met),
                                    result.criteria[0]),
                      cost_per_week=roster.cost_per_week(), scenario=sc, groups=result.groups,
                      ceiling_=result.ceiling, sources=result.sources,
                      windows={g: result.analytic[g].on_call_window for g in result.groups},
                      heads=heads)
    risk = risk_frame(result)
    out: dict[str, Any] = {
        "kind": "roster",
        "scenario": sc.name,
        "groups": result.groups,
        "status": result.status,
        "answer": {"zh": zh, "en": en},
        "solver": {"status": sol.status, "objective": _r(sol.objective),
                   "bound": _r(sol.bound), "gap": _r(sol.gap if sol.status != "optimal"
                                                     else 0.0, 6),
                   "solve_s": _r(sol.solve_s, 3), "name": sol.solver, "method": sol.method,
                   "workers": sol.workers},
        "cost_per_week": _r(roster.cost_per_week(), 2),
        "currency": currency(sc),
        "people": {g: {"rostered": heads[g], "allowed": len(roster.problem.members(g))}
                   for g in result.groups},
        "criteria": [e.as_dict() for e in result.criteria],
        "iterations": [it.as_dict() for it in result.iterations],
        "simulated_weeks": result.weeks_used,
        "wall_s": _r(result.wall_s, 2),
        "requirement": {g: {"method": r.method, "clock": r.clock,
                            "service_level": r.service_level, "wait_min": _r(r.wait_h * 60, 3),
                            "analytic_person_hours": int(r.required.sum()),
                            "final_person_hours": int(result.requirement[g].sum()),
                            "on_call_window": r.on_call_window,
                            "on_call_p_in_time": _r(r.on_call_p_in_time)}
                        for g, r in result.analytic.items()},
        "risk": [{"target": row.target, "p_zero_breach": _r(row.p_zero_breach),
                  "ci_low": _r(row.p_zero_breach_cp_low), "ci_high": _r(row.p_zero_breach_cp_high),
                  "breaches_per_week": _r(row.breaches_mean, 3), "weeks": int(row.weeks)}
                 for row in risk.itertuples(index=False)],
        "rules": {name: bool(on) for name, on in roster.problem.rules.enabled().items()},
        "rule_text": RULES,
        "settings": {"replications": result.settings.replications,
                     "confidence": result.settings.confidence, "seed": result.settings.seed,
                     "method": result.settings.method,
                     "time_limit_s": result.settings.time_limit_s},
        "notes": result.notes,
    }
    if result.status == "unreachable":
        out["ceiling"] = None if result.ceiling is None else result.ceiling.as_dict()
        out["breach_sources"] = None if result.sources is None else result.sources.as_dict()
    return out


def write_json_atomic(path: Path, data: Mapping[str, Any]) -> None:
    """Stable JSON (sorted keys off: the order is the schema's), via a temporary file."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False) + "\n",
                   encoding="utf-8")
    os.replace(tmp, path)


def write_outputs(result: LoopResult, out_dir: str | Path, *, lang: str = "zh",
                  figure: bool = True, report: bool = True) -> dict[str, Path]:
    """Write every output of a roster answer into ``out_dir`` (see the module docstring)."""
    d = Path(out_dir)
    d.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".roster-", dir=d))
    try:
        files: dict[str, Path] = {}
        rf = roster_frame(result.scenario, result.roster)
        rf.to_csv(stage / "roster.csv", index=False, lineterminator="\n")
        files["roster"] = stage / "roster.csv"
        cov = coverage_frame(result.roster)
        cov.to_csv(stage / "coverage.csv", index=False, lineterminator="\n")
        files["coverage"] = stage / "coverage.csv"
        summ = summary(result)
        write_json_atomic(stage / "summary.json", summ)
        files["summary"] = stage / "summary.json"
        risk_frame(result).to_csv(stage / "risk.csv", index=False, lineterminator="\n")
        files["risk"] = stage / "risk.csv"
        if importlib.util.find_spec("openpyxl") is not None:
            with pd.ExcelWriter(stage / "roster.xlsx", engine="openpyxl") as xw:
                rf.to_excel(xw, sheet_name="roster", index=False)
                cov.to_excel(xw, sheet_name="coverage", index=False)
            files["excel"] = stage / "roster.xlsx"
        else:
            log.warning("openpyxl is not installed: no roster.xlsx (pip install 'fcsim[excel]')")
        if figure or report:
            from fcsim.plotting.roster import plot_roster_week

            groups_of = {p.name: p.group for p in result.roster.problem.people}
            fig = plot_roster_week(rf, cov, person_group=groups_of,
                                   lang=lang)  # type: ignore[arg-type]
            if figure:
                fig.savefig(stage / "week.png", dpi=100)
                files["figure"] = stage / "week.png"
            if report:
                from fcsim.report.html import render_page
                from fcsim.roster.report import roster_sections

                title, sections = roster_sections(summ, rf, cov, fig, lang=lang)
                (stage / "report.html").write_text(render_page(title, sections, lang=lang),
                                                   encoding="utf-8")
                files["report"] = stage / "report.html"
        final: dict[str, Path] = {}
        for key, p in files.items():
            target = d / p.name
            os.replace(p, target)
            final[key] = target
        return final
    finally:
        shutil.rmtree(stage, ignore_errors=True)
