"""The figures of a run report, each computed and rendered once.

The data behind several figures is shared: the emergency ripple feeds the ripple figure and
the choice of the swimlane's tickets (:func:`fcsim.analysis.emergency_story`); the lateness
attribution is computed for the tickets the lateness figure shows (the latest ones, chosen
from the clock rows' ``lateness_s``, which the attribution splits exactly). Each figure is
rendered to PNG once; the page embeds the bytes and ``figures/`` stores the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, tzinfo

import pandas as pd
from matplotlib.figure import Figure

from fcsim import analysis
from fcsim.eventlog import EventLog
from fcsim.kpi.zones import manifest_time_zone
from fcsim.model.timezone import tz_name
from fcsim.plotting import (
    Lang,
    plot_compliance,
    plot_hour_of_week,
    plot_indicators,
    plot_lateness,
    plot_ripple,
    plot_stage_times,
    plot_swimlane,
)
from fcsim.plotting.labels import role_label, short_ticket_id, text
from fcsim.report.shell import Bilingual, FigureBlock, figure_png

__all__ = ["LATENESS_TOP", "RunData", "latest_tickets", "local_tz", "run_figures"]

#: Tickets in the lateness figure.
LATENESS_TOP = 20


@dataclass(frozen=True)
class RunData:
    """What a run report is built from (read from a run directory or kept in memory)."""

    log: EventLog
    indicators: pd.DataFrame
    periods: pd.DataFrame | None
    clocks: pd.DataFrame | None
    ownership: pd.DataFrame | None


def local_tz(log: EventLog) -> tzinfo:
    """The site's zone: the manifest's ``time_zone`` (of the log's first scenario, or the
    observed log's), else the offset of the manifest's ``start`` (or of its window's start),
    else UTC."""
    manifest = log.manifest
    names = sorted({str(x) for x in log.tickets["scenario"].dropna().unique()})
    for sc in [*names, None]:
        zone = manifest_time_zone(manifest, sc)
        if zone is not None:
            return zone
    if manifest:
        for cand in (manifest.get("start"), (manifest.get("window") or [None])[0]):
            if isinstance(cand, str):
                try:
                    ts = pd.Timestamp(cand)
                except ValueError:
                    continue
                if ts.tzinfo is not None:
                    return ts.tzinfo
    return UTC


def latest_tickets(clocks: pd.DataFrame, top: int = LATENESS_TOP) -> pd.DataFrame:
    """The keys (scenario, replication, ticket_id) of the ``top`` tickets with the most
    lateness in the clock rows, in the order :func:`fcsim.analysis.lateness_by_ticket` gives
    them (total descending; ties by scenario, replication, ticket id)."""
    st = clocks["status"].astype(str)
    late = pd.to_numeric(clocks["lateness_s"], errors="coerce").astype(float)
    keep = st.isin(["breached", "missing"]) & late.notna() & (late > 0)
    c = clocks[keep.to_numpy()]
    if c.empty:
        return pd.DataFrame(columns=["scenario", "replication", "ticket_id"])
    k = pd.DataFrame({
        "scenario": c["scenario"].astype(object).fillna("").astype(str).to_numpy(),
        "replication": pd.to_numeric(c["replication"].astype(object)).astype("Int64")
        .fillna(-1).to_numpy(dtype="int64"),
        "ticket_id": c["ticket_id"].astype(str).to_numpy(),
        "late": late[keep.to_numpy()].to_numpy(),
    })
    tot = k.groupby(["scenario", "replication", "ticket_id"], sort=True)["late"].sum()
    tot = tot.reset_index().sort_values("late", ascending=False, kind="stable").head(top)
    return tot[["scenario", "replication", "ticket_id"]].reset_index(drop=True)


def _clocks_of(clocks: pd.DataFrame, keys: pd.DataFrame) -> pd.DataFrame:
    """The clock rows of the tickets in ``keys`` (scenario "" and replication -1 when
    missing, as :func:`latest_tickets` gives them)."""
    clocks = clocks[clocks["ticket_id"].astype(str).isin(set(keys["ticket_id"].astype(str)))
                    .to_numpy(dtype=bool)]
    c = pd.DataFrame({
        "scenario": clocks["scenario"].astype(object).fillna("").astype(str).to_numpy(),
        "replication": pd.to_numeric(clocks["replication"].astype(object)).astype("Int64")
        .fillna(-1).to_numpy(dtype="int64"),
        "ticket_id": clocks["ticket_id"].astype(str).to_numpy(),
    })
    k = keys.assign(_hit=True).astype({"replication": "int64"})
    hit = c.merge(k, on=["scenario", "replication", "ticket_id"], how="left")["_hit"]
    return clocks[hit.fillna(False).to_numpy(dtype=bool)]


def run_figures(data: RunData, lang: Lang) -> list[FigureBlock]:
    """Every figure of the run report, rendered once, in ``lang``."""
    log, clocks = data.log, data.clocks
    tz = local_tz(log)
    zone = tz_name(tz)
    made: list[tuple[str, Bilingual, Callable[[], Figure]]] = []

    def cap(key: str, extra: str = "") -> Bilingual:
        return Bilingual(text(key, "zh") + extra, text(key, "en") + extra)

    made.append(("fig-indicators", cap("indicators_title"),
                 lambda: plot_indicators(data.indicators, lang=lang)))
    if clocks is not None:
        made.append(("fig-compliance", cap("compliance_title"),
                     lambda: plot_compliance(analysis.clock_compliance(clocks, log.tickets),
                                             lang=lang)))
    tables = analysis.timeline_tables(log)
    profile = analysis.hour_of_week_profile(log, tz=tz, intervals=(tables.busy, tables.waits))
    panels = [("arrivals", "all")]
    roles = [r for r in ("desk", "technician") if (profile["role"] == r).any()]
    panels += [(m, r) for m in ("utilisation", "queue") for r in roles]

    def heatmap(metric: str, role: str) -> Callable[[], Figure]:
        return lambda: plot_hour_of_week(profile, metric=metric, role=role, lang=lang,
                                         zone=zone)

    for metric, role in panels:
        key = "queue_deferred" if metric == "queue" else metric
        made.append((f"fig-how-{metric}-{role}",
                     Bilingual(f"{text(key, 'zh')} — {role_label(role, 'zh')}（{zone}）",
                               f"{text(key, 'en')} — {role_label(role, 'en')} ({zone})"),
                     heatmap(metric, role)))
    made.append(("fig-stages", cap("stages_title"),
                 lambda: plot_stage_times(analysis.stage_summary(tables.stages), lang=lang)))
    ripple = analysis.emergency_ripple(log)
    story = None
    preemption = None
    shifts = analysis.desk_shift_starts(log.manifest)
    if clocks is not None:
        preemption = analysis.preemption_lateness(log, clocks, ripple)
        story = analysis.emergency_story(log, clocks, tz=tz, shift_starts_h=shifts,
                                         ripple=ripple, preemption=preemption)
    ids, window = analysis.swimlane_choice(log, tz=tz, story=story, shift_starts_h=shifts)
    lo, hi = (w.tz_convert(tz).strftime("%m-%d %H:%M") for w in window)
    if story is not None:
        e = short_ticket_id(story.emergency_id)
        about = Bilingual(f"：{lo}–{hi[-5:]}（{zone}），緊急工單 {e}（紅色）、被它搶佔的工單"
                          "及同時段的其他工單",
                          f": {lo}–{hi[-5:]} ({zone}), emergency {e} (red), the tickets it "
                          "preempted and other tickets active then")
    else:
        about = Bilingual(f"：{lo}–{hi[-5:]}（{zone}）", f": {lo}–{hi[-5:]} ({zone})")
    staff = analysis.staff_directory(log.manifest)
    made.append(("fig-swimlane",
                 Bilingual(text("swimlane_title", "zh") + about.zh,
                           text("swimlane_title", "en") + about.en),
                 lambda: plot_swimlane(analysis.swimlane_segments(log, ids), lang=lang, tz=tz,
                                       window=window, staff=staff)))
    if clocks is not None:
        def lateness() -> Figure:
            keys = latest_tickets(clocks)
            wide = analysis.lateness_by_ticket(
                analysis.attribute_lateness(log, _clocks_of(clocks, keys)))
            return plot_lateness(analysis.with_ticket_facts(wide, log), lang=lang, tz=tz,
                                 top=LATENESS_TOP)

        made.append(("fig-lateness", cap("lateness_title", f" ({zone})"), lateness))

    def ripple_fig() -> Figure:
        summ = analysis.ripple_summary(ripple)
        if preemption is not None and not summ.empty:
            late = preemption.dropna(subset=["emergency_id"]).groupby("emergency_id")[
                "preemption_late_s"].sum()
            summ = summ.assign(late_s=summ["emergency_id"].map(late).astype(float))
        facts = analysis.with_ticket_facts(
            summ.rename(columns={"emergency_id": "ticket_id"}).dropna(subset=["ticket_id"]),
            log).rename(columns={"ticket_id": "emergency_id"})
        rest = summ[summ["emergency_id"].isna()]
        return plot_ripple(pd.concat([facts, rest], ignore_index=True)
                           .sort_values("delay_s", ascending=False, kind="stable"),
                           lang=lang, tz=tz)

    made.append(("fig-ripple", cap("ripple_title"), ripple_fig))
    return [FigureBlock(fid, caption, figure_png(make())) for fid, caption, make in made]
