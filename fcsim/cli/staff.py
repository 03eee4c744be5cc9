"""``fcsim staff SCENARIO --role GROUP``: the recommended head counts of one staff group.

The requirement of every hour of the week (SIPP / lagged SIPP / ISA / Erlang A with the
scenario's clock bounds; night and on-call included), the cheapest cover by the group's shift
patterns (priced from the scenario's ``[costs]``; a night on-duty pattern is added when the
night needs people on duty), then a roster search with the full simulator (common random
numbers, early elimination; the number of simulated weeks is shown), the recommended roster's
cost per week, every target's estimate with its interval, the KPIs, the weekly risk view, and
— when a target is out of reach — the ceiling and where the remaining breaches come from.
``--out DIR`` writes ``summary.json`` (the schema of ``fcsim roster``), the tables and
``report.html``. Exit 0 whenever it answers (met or unreachable).
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import pandas as pd

from fcsim.cli._args import (
    add_scenario_tz_argument,
    positive_int,
    scenario_overrides,
    unit_interval,
)

__all__ = ["format_report", "register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("staff", help="recommended roster of a staff group, its KPIs and risk",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenario", help="a shipped scenario name or a TOML file")
    p.add_argument("--role", required=True, metavar="GROUP",
                   help="staff group to roster (e.g. desk, engineering)")
    p.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                   dest="overrides", help="override a scenario field (TOML syntax)")
    add_scenario_tz_argument(p)
    p.add_argument("--costs", type=Path, default=None, help="TOML file of shift patterns/costs")
    p.add_argument("--cost-per-hour", type=float, default=None,
                   help="price every pattern at this rate per person-hour (default: the "
                        "scenario's [costs])")
    p.add_argument("--target", action="append", default=[], metavar="KPI>=VALUE",
                   help="a target the roster must meet, e.g. 'timeliness>=95%%' (repeat; "
                        "default: the scenario's [staffing] targets, else by role)")
    p.add_argument("--confidence", type=unit_interval, default=None,
                   help="one-sided confidence of every target (default: the scenario's, 0.9)")
    p.add_argument("--method", choices=("sipp", "lagged_sipp", "isa", "erlang_a"),
                   default="lagged_sipp", help="the analytic requirement")
    p.add_argument("--service-level", type=unit_interval, default=None,
                   help="per-hour P(wait within the clock) of the requirement (default: the "
                        "targets' largest rate)")
    p.add_argument("--compare", action="store_true",
                   help="also compare SIPP, lagged SIPP and ISA on the group's Erlang model")
    p.add_argument("--spread", type=int, default=1, help="grid: start ± SPREAD per shift")
    p.add_argument("--replications", "-r", type=positive_int, default=10,
                   help="simulated weeks per roster")
    p.add_argument("--days", type=float, default=7.0, help="days per replication")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--zero-breach", default=None, metavar="TARGET",
                   help="e.g. clock:record or timeliness: also find the cheapest roster whose "
                        "P(zero-breach week) >= --probability")
    p.add_argument("--probability", type=unit_interval, default=0.8)
    p.add_argument("--out", type=Path, default=None,
                   help="write summary.json, the CSV tables and report.html here")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="report language")
    p.set_defaults(func=_run)


def _pct(v: object) -> str:
    return "" if v is None or pd.isna(v) else f"{float(v) * 100:.1f} %"  # type: ignore[arg-type]


def _num(v: object) -> str:
    return "" if v is None or pd.isna(v) else f"{float(v):.3g}"  # type: ignore[arg-type]


def _table(df: pd.DataFrame) -> str:
    cells = [[str(x) for x in row] for row in df.itertuples(index=False)]
    cols = [str(c) for c in df.columns]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(cols)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(x.ljust(w) for x, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(lines)


def format_report(rep: object) -> str:
    """The staffing report as text."""
    from fcsim.staffing.staff_report import StaffingReport, staff_summary

    assert isinstance(rep, StaffingReport)
    summ = staff_summary(rep)
    out = [summ["answer"]["en"], summ["answer"]["zh"], ""]
    d = rep.demand
    out.append(f"staff group {rep.group}: {d.rate_per_h.sum() / 7:.1f} tickets/day, "
               f"{d.mean_service_h * 60:.1f} min of work each, mean load "
               f"{d.rate_per_h.mean() * d.mean_service_h:.3f} Erlang")
    a = rep.analytic
    out.append(f"requirement ({a.method}, clock {a.clock}, P(wait <= {a.wait_h * 60:.1f} min) "
               f">= {a.service_level:g}): {int(a.required.sum())} person-hours/week, night "
               f"and on-call included")
    out += [f"  {n}" for n in a.notes]
    if rep.comparison is not None:
        s = rep.comparison.summary.copy()
        s["max |P(delay)-target| (sim)"] = s["max_dev_sim"].map(_num)
        out.append("\ntime-varying staffing on the Erlang model (hour of week):")
        out.append(_table(s[["method", "agent_hours", "max |P(delay)-target| (sim)",
                             "bins_within_sim"]]))
    pats = ", ".join(f"{p.name} ({p.start_h:02d}-{p.end_h % 24:02d}, {p.cost * 7:,.0f})"
                     for p in rep.patterns)
    out.append(f"\nshift patterns (cost per head per week, {rep.currency}): {pats}")
    out.append(f"analytic start ({rep.method}): {rep.start}")
    sr = rep.search
    if sr.best is None:
        out.append("\nrecommended roster: NONE in the grid meets the targets (see why above "
                   "and below)")
    else:
        heads = ", ".join(f"{p.name}: {c}" for p, c in zip(rep.patterns, sr.best, strict=True))
        out.append(f"\nrecommended roster: {heads}")
    out.append(f"status: {rep.status}   cost per week: {rep.cost_per_week:,.0f} {rep.currency}")
    out.append(f"simulated weeks: {sr.replications_used} of the grid's {sr.grid_replications} "
               f"({sr.share_of_grid * 100:.1f} %), + {rep.extra_replications} to report")
    out.append(f"\ntargets (one-sided confidence {rep.confidence:g}):")
    for e in rep.estimates:
        out.append(f"  {e.kpi} {'>' if e.strict else '>='} {e.threshold:g}: {_num(e.estimate)} "
                   f"[{_num(e.ci_low)}, {_num(e.ci_high)}] {'met' if e.met else 'not met'}")
    k = rep.kpis.copy()
    k["mean"] = k["mean"].map(lambda v: _num(v))
    k["95 % CI"] = [f"[{_num(a)}, {_num(b)}]" for a, b in zip(rep.kpis["ci_low"],
                                                              rep.kpis["ci_high"], strict=True)]
    out.append("\nKPIs of the " + ("recommended" if sr.best is not None else "analytic")
               + " roster (per week):")
    out.append(_table(k[["kpi", "mean", "95 % CI", "replications"]]))
    r = rep.risk
    view = pd.DataFrame({
        "100 % target": r["target"],
        "P(week meets)": r["p_meet"].map(_pct),
        "95 % CI (Wilson)": [f"[{_pct(a)}, {_pct(b)}]" for a, b in
                             zip(r["p_meet_wilson_low"], r["p_meet_wilson_high"], strict=True)],
        "breaches/week": r["breaches_mean"].map(_num),
        "95 % CI": [f"[{_num(a)}, {_num(b)}]" for a, b in
                    zip(r["breaches_low"], r["breaches_high"], strict=True)],
        "weeks": r["weeks"],
    })
    out.append("\nrisk view (random arrivals never guarantee 100 %):")
    out.append(_table(view))
    if rep.ceiling is not None:
        c = rep.ceiling
        out.append(f"\nceiling: {c.kpi} {_pct(c.estimate.estimate)} [{_pct(c.estimate.ci_low)},"
                   f" {_pct(c.estimate.ci_high)}] with {c.heads} on duty in every hour")
    if rep.sources is not None and rep.sources.total:
        shares = ", ".join(f"{k}: {_pct(v)}" for k, v in rep.sources.by_reason.items())
        out.append(f"remaining breaches by reason: {shares}")
    if rep.zero_breach is not None:
        zb = rep.zero_breach
        p = rep.zero_breach_probability
        if zb.best is None:
            out.append(f"\nno roster in the grid has P(zero-breach week of "
                       f"{rep.zero_breach_target}) >= {p} at the stated confidence")
        else:
            heads = ", ".join(f"{q.name}: {c}" for q, c in zip(rep.patterns, zb.best,
                                                                 strict=True))
            out.append(f"\nminimum staffing for P(zero-breach week of {rep.zero_breach_target})"
                       f" >= {p}: {heads}   ({zb.replications_used} simulated weeks)")
    return "\n".join(out)


def _run(args: argparse.Namespace) -> int:
    from fcsim.roster.outputs import write_json_atomic
    from fcsim.scenarios import apply_overrides, load_scenario
    from fcsim.staffing.roster import load_shift_costs
    from fcsim.staffing.staff_report import patterns_for, staff_group, staff_summary

    scen = load_scenario(args.scenario)
    overrides = scenario_overrides(args, scen)
    if overrides:
        scen = apply_overrides(scen, overrides)
    if args.role not in scen.staff:
        raise ValueError(f"--role {args.role!r}: no such staff group "
                         f"(groups: {', '.join(scen.staff)})")
    patterns = None
    if args.costs is not None:
        table = load_shift_costs(args.costs)
        if args.role not in table:
            raise ValueError(f"{args.costs}: no [roster.{args.role}] table")
        patterns = table[args.role]
    elif args.cost_per_hour is not None:
        if not (math.isfinite(args.cost_per_hour) and args.cost_per_hour >= 0):
            raise ValueError("--cost-per-hour must be finite and >= 0")
        patterns = patterns_for(scen, args.role, cost_per_hour=args.cost_per_hour)
    confidence = args.confidence if args.confidence is not None else scen.staffing.confidence

    def progress(msg: str) -> None:
        print(f"… {msg}", file=sys.stderr, flush=True)

    rep = staff_group(scen, args.role, patterns, seed=args.seed,
                      replications=max(args.replications, 2), days=args.days,
                      targets=args.target or None, confidence=confidence,
                      method=args.method, service_level=args.service_level, spread=args.spread,
                      zero_breach_target=args.zero_breach,
                      zero_breach_probability=args.probability if args.zero_breach else None,
                      compare=args.compare, progress=progress)
    print(format_report(rep))
    if args.out is not None:
        from fcsim.report.html import render_page
        from fcsim.roster.report import roster_sections

        args.out.mkdir(parents=True, exist_ok=True)
        summ = staff_summary(rep)
        rep.search.table.to_csv(args.out / "roster_search.csv", index=False)
        rep.kpis.to_csv(args.out / "roster_kpis.csv", index=False)
        rep.risk.to_csv(args.out / "risk.csv", index=False)
        if rep.comparison is not None:
            rep.comparison.table.to_csv(args.out / "time_varying.csv", index=False)
        title, sections = roster_sections(summ, None, None, None, lang=args.lang)
        (args.out / "report.html").write_text(render_page(title, sections, lang=args.lang),
                                             encoding="utf-8")
        write_json_atomic(args.out / "summary.json", summ)
        print(f"\ntables, summary.json and report.html → {args.out}")
    return 0
