"""The staffing answer as HTML sections (title + ``(id, heading, body)`` fragments) in Chinese
or English: the answer sentence, the targets with their intervals, every iteration, the
ceiling and breach sources when a target is out of reach, the week's figure, the weekly risk
view, each person's week and the rules. :func:`fcsim.report.html.render_page` renders them
(the run report's style); the same sections serve ``fcsim staff`` (no people, no figure).
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from fcsim.roster.reach import REASONS, kpi_label

__all__ = ["roster_sections"]

_T: dict[str, tuple[str, str]] = {
    "title": ("人員配置與班表建議", "Staffing answer and roster"),
    "answer": ("結論", "Answer"),
    "status_met": ("達標", "met"), "status_unreachable": ("無法達到", "out of reach"),
    "status": ("狀態", "status"), "cost": ("每週成本", "cost per week"),
    "solver": ("求解器", "solver"), "gap": ("最優性差距", "optimality gap"),
    "solve_s": ("求解秒數", "solve time (s)"), "weeks": ("模擬週數", "simulated weeks"),
    "criteria": ("目標與區間", "Targets with their intervals"),
    "kpi": ("指標", "KPI"), "target": ("目標", "target"), "estimate": ("估計", "estimate"),
    "interval": ("區間", "interval"), "met": ("達標", "met"),
    "iterations": ("每次迭代", "Every iteration"), "iteration": ("次", "#"),
    "action": ("動作", "action"), "detail": ("內容", "detail"), "kept": ("保留", "kept"),
    "ceiling": ("上限：每小時都加人也只能到", "The ceiling: staff raised in every hour"),
    "heads": ("每小時在崗", "on duty every hour"),
    "sources": ("餘下違規的來源", "Where the remaining breaches come from"),
    "reason": ("原因", "reason"), "share": ("比例", "share"),
    "movable": ("本組可改善", "this group can move it"),
    "by_clock": ("按控制點", "by control point"), "by_group": ("按負責部門", "by owning group"),
    "figure": ("一週班表圖", "The week"),
    "risk": ("每週風險：零違規週的機率", "Weekly risk: probability of a zero-breach week"),
    "p_zero": ("零違規週機率", "P(zero-breach week)"),
    "per_week": ("每週違規數", "breaches per week"),
    "people": ("每人一週", "Each person's week"), "staff": ("人員", "staff"),
    "days": ("週一,週二,週三,週四,週五,週六,週日", "Mon,Tue,Wed,Thu,Fri,Sat,Sun"),
    "off": ("休", "off"), "on_call": ("值班", "on call"),
    "rules": ("勞動規則", "Labour rules"), "rule": ("規則", "rule"), "on": ("啟用", "on"),
    "yes": ("是", "yes"), "no": ("否", "no"), "notes": ("說明", "Notes"),
}


def _t(key: str, lang: str) -> str:
    zh, en = _T[key]
    return zh if lang == "zh" else en


def _e(v: Any) -> str:
    return html.escape("" if v is None else str(v))


def _pct(v: Any) -> str:
    return "" if v is None or pd.isna(v) else f"{100 * float(v):.1f} %"


def _table(head: list[str], rows: list[list[str]], classes: list[str] | None = None) -> str:
    th = "".join(f"<th>{_e(h)}</th>" for h in head)
    body = "".join(
        f'<tr{f" class={chr(34)}{classes[i]}{chr(34)}" if classes else ""}>'
        + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for i, r in enumerate(rows))
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def _people_table(roster: pd.DataFrame, lang: str) -> str:
    days = _t("days", lang).split(",")
    dates = sorted(roster["date"].astype(str).unique())
    rows = []
    for person, sub in roster.groupby("staff", sort=False):
        cells = []
        for d in dates:
            bits = []
            for r in sub[sub["date"].astype(str) == d].itertuples(index=False):
                a, b = str(r.start)[11:16], str(r.end)[11:16]
                if r.kind == "work":
                    bits.append(f"{a}–{b}")
                elif r.kind == "on_call":
                    bits.append(f"{_t('on_call', lang)} {a}–{b}")
                else:
                    bits.append(_t("off", lang))
            cells.append(_e(" · ".join(bits)))
        rows.append([_e(person), *cells])
    head = [_t("staff", lang), *(f"{days[i % 7]} {d[5:]}" for i, d in enumerate(dates))]
    return _table(head, rows)


def roster_sections(summary: Mapping[str, Any], roster: pd.DataFrame | None,
                    coverage: pd.DataFrame | None, fig: Figure | None, *,
                    lang: str = "zh") -> tuple[str, list[tuple[str, str, str]]]:
    """The title and sections of the staffing answer (see the module docstring)."""
    from fcsim.report.html import figure_png

    out: list[tuple[str, str, str]] = []
    status = str(summary["status"])
    sol = summary.get("solver", {})
    ans = summary.get("answer", {}).get(lang if lang in ("zh", "en") else "en", "")
    facts = [
        [_t("status", lang), _e(_t(f"status_{status}", lang))],
        [_t("cost", lang), _e(f"{summary.get('cost_per_week', 0):,.0f} "
                              f"{summary.get('currency', '')}")],
        [_t("solver", lang), _e(f"{sol.get('name', '')} {sol.get('method', '')}: "
                                f"{sol.get('status', '')}")],
        [_t("gap", lang), _e(_pct(sol.get("gap")))],
        [_t("solve_s", lang), _e(sol.get("solve_s"))],
        [_t("weeks", lang), _e(summary.get("simulated_weeks"))],
    ]
    out.append(("answer", _t("answer", lang),
                f"<p><strong>{_e(ans)}</strong></p>" + _table(["", ""], facts)))
    rows, classes = [], []
    for c in summary.get("criteria", []):
        rows.append([_e(kpi_label(c["kpi"], lang)),
                     _e(f"{c['operator']} {_pct(c['threshold'])}"), _e(_pct(c["estimate"])),
                     _e(f"[{_pct(c['ci_low'])}, {_pct(c['ci_high'])}]"),
                     _e(_t("yes" if c["met"] else "no", lang))])
        classes.append("met" if c["met"] else "not-met")
    out.append(("criteria", _t("criteria", lang), _table(
        [_t("kpi", lang), _t("target", lang), _t("estimate", lang),
         f"{_t('interval', lang)} ({summary.get('settings', {}).get('confidence', '')})",
         _t("met", lang)], rows, classes)))
    its = summary.get("iterations", [])
    if its:
        rows = [[_e(i["iteration"]), _e(i["action"]), _e(i["detail"]),
                 _e(f"{i['cost_per_week']:,.0f}"),
                 _e("; ".join(f"{_pct(c['estimate'])} [{_pct(c['ci_low'])}, "
                              f"{_pct(c['ci_high'])}]" for c in i["criteria"])),
                 _e(_t("yes" if i["met"] else "no", lang)),
                 _e(_t("yes" if i.get("kept", True) else "no", lang)), _e(i["weeks"])]
                for i in its]
        out.append(("iterations", _t("iterations", lang), _table(
            [_t("iteration", lang), _t("action", lang), _t("detail", lang), _t("cost", lang),
             _t("estimate", lang), _t("met", lang), _t("kept", lang), _t("weeks", lang)],
            rows)))
    ceil = summary.get("ceiling")
    if ceil:
        rows = [[_e(", ".join(f"{g}: {n}" for g, n in lv["heads_on_duty"].items())),
                 _e(_pct(lv["estimate"])), _e(f"[{_pct(lv['ci_low'])}, {_pct(lv['ci_high'])}]")]
                for lv in ceil.get("levels", [])]
        out.append(("ceiling", _t("ceiling", lang), _table(
            [_t("heads", lang), _t("estimate", lang), _t("interval", lang)], rows)))
    src = summary.get("breach_sources")
    if src and src.get("breaches"):
        rows = [[_e(REASONS[k][0] if lang == "zh" else REASONS[k][1]), _e(_pct(v)),
                 _e(_t("yes" if REASONS[k][2] else "no", lang))]
                for k, v in src["by_reason"].items()]
        body = _table([_t("reason", lang), _t("share", lang), _t("movable", lang)], rows)
        body += f"<h3>{_e(_t('by_clock', lang))}</h3>" + _table(
            [_t("kpi", lang), _t("share", lang)],
            [[_e(kpi_label("clock." + k, lang)), _e(_pct(v))] for k, v in
             list(src["by_clock"].items())[:8]])
        body += f"<h3>{_e(_t('by_group', lang))}</h3>" + _table(
            ["", _t("share", lang)], [[_e(k), _e(_pct(v))] for k, v in src["by_group"].items()])
        out.append(("sources", _t("sources", lang), body))
    if fig is not None:
        out.append(("figure", _t("figure", lang),
                    f'<figure><img src="data:image/png;base64,{figure_png(fig)}" '
                    f'alt="{_e(_t("figure", lang))}"></figure>'))
    risk = summary.get("risk", [])
    if risk:
        rows = [[_e(kpi_label(r["target"].replace("clock:", "clock."), lang)),
                 _e(_pct(r["p_zero_breach"])), _e(f"[{_pct(r['ci_low'])}, {_pct(r['ci_high'])}]"),
                 _e(r["breaches_per_week"]), _e(r["weeks"])] for r in risk]
        out.append(("risk", _t("risk", lang), _table(
            [_t("kpi", lang), _t("p_zero", lang), _t("interval", lang), _t("per_week", lang),
             _t("weeks", lang)], rows)))
    if roster is not None and len(roster):
        out.append(("people", _t("people", lang), _people_table(roster, lang)))
    rules = summary.get("rules")
    if rules:
        text = summary.get("rule_text", {})
        rows = [[_e(k), _e(text.get(k, "")), _e(_t("yes" if v else "no", lang))]
                for k, v in rules.items()]
        out.append(("rules", _t("rules", lang), _table(
            [_t("rule", lang), "", _t("on", lang)], rows)))
    notes = summary.get("notes") or []
    if notes:
        out.append(("notes", _t("notes", lang), "<ul>" + "".join(
            f"<li>{_e(n)}</li>" for n in notes) + "</ul>"))
    return _t("title", lang), out
