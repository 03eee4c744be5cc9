"""Plain-text tables for the terminal (bilingual indicator table)."""

from __future__ import annotations

import unicodedata

import pandas as pd

from fcsim.model.indicators import INDICATORS

__all__ = ["indicator_table", "ownership_line", "text_width"]


def text_width(s: str) -> int:
    """Display width: CJK characters take two columns."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def _pad(s: str, width: int, right: bool = False) -> str:
    gap = " " * max(0, width - text_width(s))
    return gap + s if right else s + gap


def _fmt_pct(v: object) -> str:
    return "" if v is None or pd.isna(v) else f"{float(v) * 100:.2f} %"  # type: ignore[arg-type]


def indicator_table(ind: pd.DataFrame) -> str:
    """The indicators as an aligned table with 中文 / English labels.

    An observed log shows its ``log`` rows; a simulated run its ``scenario`` rows (mean and
    t-interval over replications), or its ``replication`` rows (Wilson interval) when every
    scenario has a single replication.
    """
    reps = ind[ind["level"] == "replication"]
    per_scenario = reps.groupby("scenario", observed=True)["replication"].nunique()
    single = len(reps) > 0 and per_scenario.max() == 1
    level = "log" if (ind["level"] == "log").any() else ("replication" if single else "scenario")
    rows = ind[ind["level"] == level]
    header = ["指標 indicator", "場景 scenario", "值 value", "95 % CI", "目標 target",
              "達標 met", "n"]
    body = []
    for r in rows.itertuples(index=False):
        spec = INDICATORS[str(r.indicator)]
        ci = "" if pd.isna(r.ci_low) else f"[{_fmt_pct(r.ci_low)}, {_fmt_pct(r.ci_high)}]"
        met = "" if pd.isna(r.met) else ("是 yes" if bool(r.met) else "否 NO")
        n = "" if pd.isna(r.denominator) else f"{int(r.numerator)}/{int(r.denominator)}"
        scen = "" if pd.isna(r.scenario) else str(r.scenario)
        body.append([f"{spec.label_zh} {spec.label_en}", scen, _fmt_pct(r.value), ci,
                     str(r.target), met, n])
    widths = [max(text_width(x) for x in col) for col in zip(header, *body, strict=False)]
    lines = ["  ".join(_pad(c, w) for c, w in zip(header, widths, strict=True)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(_pad(c, w, right=i in (2, 6)) for i, (c, w) in
                        enumerate(zip(row, widths, strict=True))) for row in body]
    return "\n".join(lines)


def ownership_line(own: pd.DataFrame | None) -> str:
    """One line per scenario (or the log) of the first-contact ownership measure."""
    if own is None or own.empty:
        return ""
    reps = own[own["level"] == "replication"]
    single = len(reps) > 0 and reps.groupby("scenario", observed=True)[
        "replication"].nunique().max() == 1
    level = "log" if (own["level"] == "log").any() else (
        "replication" if single else "scenario")
    lines = []
    for r in own[own["level"] == level].itertuples(index=False):
        scen = "" if pd.isna(r.scenario) else f" [{r.scenario}]"
        ci = "" if pd.isna(r.ci_low) else f" [{_fmt_pct(r.ci_low)}, {_fmt_pct(r.ci_high)}]"
        lines.append(f"首接負責延續率 first-contact ownership continuity{scen}: "
                     f"{_fmt_pct(r.value) or '—'}{ci} ({int(r.numerator)}/{int(r.denominator)})"
                     " — fcsim's measure, not a seed target")
    return "\n".join(lines)
