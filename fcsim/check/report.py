"""Writers for a :class:`~fcsim.check.check.CheckReport`: JSON and JUnit XML (for users' CI).

JSON: ``{"passed", "alpha", "tested", "regressions", "fcsim_version", "baseline_version",
"scenarios": {name: {"seed", "replications", "days", "notes"}}, "results": [...]}`` with one
result per KPI (scenario, kpi, status, baseline/current mean, se, n, t, df, p, threshold,
reason); non-finite numbers (an infinite t when both standard errors are 0) are ``null``.
JUnit XML: one ``<testsuite>`` per scenario, one ``<testcase>`` per KPI
(``classname="fcsim.check.<scenario>"``, ``name=<kpi>``); a regression is a ``<failure>``, an
untested KPI is ``<skipped>``.
"""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from fcsim.check.check import CheckReport, KpiCheck

__all__ = ["report_to_dict", "report_to_json", "report_to_junit", "write_json", "write_junit"]


def _num(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def _result(r: KpiCheck) -> dict[str, Any]:
    cur = r.current
    return {
        "scenario": r.scenario, "kpi": r.kpi, "status": r.status,
        "baseline_mean": _num(r.baseline.mean), "baseline_se": _num(r.baseline.se),
        "baseline_n": r.baseline.n,
        "current_mean": _num(cur.mean) if cur else None,
        "current_se": _num(cur.se) if cur else None,
        "current_n": cur.n if cur else 0,
        "t": _num(r.t),
        "df": _num(r.df), "p": _num(r.p), "threshold": _num(r.threshold), "reason": r.reason,
    }


def report_to_dict(report: CheckReport) -> dict[str, Any]:
    """The JSON-ready form of a report."""
    return {
        "passed": report.passed,
        "alpha": report.alpha,
        "tested": report.tested,
        "regressions": len(report.regressions),
        "fcsim_version": report.fcsim_version,
        "baseline_version": report.baseline_version,
        "scenarios": {name: {"seed": report.seeds[name],
                             "replications": report.replications[name],
                             "days": report.days[name],
                             "notes": list(report.notes.get(name, ()))}
                      for name in report.seeds},
        "results": [_result(r) for r in report.results],
    }


def report_to_json(report: CheckReport) -> str:
    """The report as indented JSON text."""
    return json.dumps(report_to_dict(report), indent=2, ensure_ascii=False, allow_nan=False)


def _message(r: KpiCheck) -> str:
    cur = r.current.mean if r.current else float("nan")
    return (f"{r.kpi}: baseline {r.baseline.mean:.6g} (se {r.baseline.se:.3g}, n "
            f"{r.baseline.n}) -> {cur:.6g}; t = {r.t:.3g}, p = {r.p:.3g} <= Holm level "
            f"{r.threshold:.3g}")


def report_to_junit(report: CheckReport) -> str:
    """The report as JUnit XML text (one test suite per scenario, one test case per KPI)."""
    root = ET.Element("testsuites", name="fcsim check", tests=str(len(report.results)),
                      failures=str(len(report.regressions)))
    for scen in report.seeds:
        rows = [r for r in report.results if r.scenario == scen]
        suite = ET.SubElement(
            root, "testsuite", name=f"fcsim.check.{scen}", tests=str(len(rows)),
            failures=str(sum(r.status == "regression" for r in rows)),
            skipped=str(sum(r.status == "untested" for r in rows)), errors="0")
        props = ET.SubElement(suite, "properties")
        for key, val in (("seed", report.seeds[scen]),
                         ("replications", report.replications[scen]),
                         ("days", report.days[scen]), ("alpha", report.alpha)):
            ET.SubElement(props, "property", name=key, value=str(val))
        for r in rows:
            case = ET.SubElement(suite, "testcase", classname=f"fcsim.check.{scen}",
                                 name=r.kpi)
            if r.status == "regression":
                ET.SubElement(case, "failure", message=_message(r),
                              type="regression").text = _message(r)
            elif r.status == "untested":
                ET.SubElement(case, "skipped", message=r.reason)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def write_json(report: CheckReport, path: str | Path) -> Path:
    """Write :func:`report_to_json` to ``path``."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(report_to_json(report) + "\n", encoding="utf-8")
    return p


def write_junit(report: CheckReport, path: str | Path) -> Path:
    """Write :func:`report_to_junit` to ``path``."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(report_to_junit(report), encoding="utf-8")
    return p
