"""Every figure renders from a small hand-built log, and shows the data worked out by hand.

The log (times in seconds after Monday 2026-03-02 08:00 UTC):

* ticket A (routine): received 0; recorded [20, 60); classified [70, 100); dispatched 120;
  signed 180 (tech-1); travel [300, 600) → arrived 600; diagnosed [700, 900); planned
  [950, 1000); communicated [1050, 1100); work_started 1200; preempted 1500; resumed 1920
  (7 min); work_completed 2400; rejected 2500 (sup-1); attempt 2: recorded [2550, 2600);
  closed 2700.
* ticket E (emergency): received 1490; recorded 1500 (no started_at); travel [1500, 1700)
  (tech-1); work_started 1700; work_completed [1700, 1900); closed 1950.
"""

from __future__ import annotations

import io
import logging
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from conftest import need
from logbuilder import LogBuilder
from matplotlib.figure import Figure

from fcsim import analysis
from fcsim.plotting import (
    cjk_font,
    compliance_grid,
    effective_lang,
    hour_of_week_grid,
    indicator_rows,
    plot_compliance,
    plot_hour_of_week,
    plot_indicators,
    plot_lateness,
    plot_ripple,
    plot_stage_times,
    plot_swimlane,
    swimlane_lanes,
)

T0 = "2026-03-02T08:00:00+00:00"  # a Monday


@pytest.fixture(scope="module")
def log():
    b = LogBuilder(t0=T0)
    (b.ticket("A", route=(True, True, True))
     .at(0, "received").at(60, "recorded", started_at=20).at(100, "classified", started_at=70)
     .at(120, "dispatched").at(180, "signed", resource="tech-1")
     .at(600, "arrived", started_at=300, resource="tech-1")
     .at(900, "diagnosed", started_at=700, resource="tech-1")
     .at(1000, "planned", started_at=950, resource="tech-1")
     .at(1100, "communicated", started_at=1050, resource="tech-1")
     .at(1200, "work_started", resource="tech-1")
     .at(1500, "preempted", resource="tech-1")
     .at(1920, "resumed", resource="tech-1")
     .at(2400, "work_completed", started_at=1200, resource="tech-1")
     .at(2500, "rejected", role="supervisor", resource="sup-1")
     .at(2600, "recorded", started_at=2550).at(2700, "closed"))
    (b.ticket("E", emergency=True, route=(True, True, False))
     .at(1490, "received").at(1500, "recorded")
     .at(1700, "arrived", started_at=1500, resource="tech-1")
     .at(1700, "work_started", resource="tech-1")
     .at(1900, "work_completed", started_at=1700, resource="tech-1")
     .at(1950, "closed"))
    return b.build()


def render(fig: Figure) -> bytes:
    """Draw to PNG, failing on any missing-glyph warning (boxes instead of characters)."""
    assert isinstance(fig, Figure)
    assert plt.get_fignums() == []  # never handed to pyplot, so never shown
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        fig.savefig(buf, format="png")
    data = buf.getvalue()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 2000
    return data


LANGS = ["en", "zh"]


@pytest.fixture(params=LANGS)
def lang(request) -> str:
    if request.param == "zh":
        need(cjk_font() is not None, "no CJK font installed (apt-get install fonts-noto-cjk)")
    return request.param


def test_stage_times_data_and_figure(log, lang) -> None:
    summary = analysis.stage_summary(analysis.stage_times(log)).set_index("activity")
    # recorded: A1 wait 20 work 40; A2 wait 50 work 50; E without started_at (NaN).
    assert summary.loc["recorded", ["n", "n_known"]].tolist() == [3, 2]
    assert summary.loc["recorded", "wait_mean_s"] == 35.0
    assert summary.loc["recorded", "work_mean_s"] == 45.0
    # arrived: A wait 600-? = 300-180 = 120, travel 300; E wait 0, travel 200.
    assert summary.loc["arrived", ["wait_mean_s", "work_mean_s"]].tolist() == [60.0, 250.0]
    # work_completed: A wait 1200-1100 = 100, work 1200-420 = 780, preempted 420; E 0/200/0.
    assert summary.loc["work_completed", ["wait_mean_s", "work_mean_s", "preempted_mean_s"]
                       ].tolist() == [50.0, 490.0, 210.0]
    fig = plot_stage_times(summary.reset_index(), lang=lang)
    ax = fig.axes[0]
    widths = [p.get_width() for p in ax.patches]
    n = len(summary)
    wait, work, pre = widths[:n], widths[n:2 * n], widths[2 * n:]
    order = list(summary.index)
    assert wait[order.index("work_completed")] == pytest.approx(50 / 60)
    assert work[order.index("work_completed")] == pytest.approx(490 / 60)
    assert pre[order.index("work_completed")] == pytest.approx(210 / 60)
    render(fig)


def test_stage_times_without_started_at_say_so(kpi_examples, lang) -> None:
    from fcsim.eventlog import read_log

    obs = read_log(kpi_examples / "observed-day")
    assert analysis.started_at_coverage(obs) == 0.0
    summary = analysis.stage_summary(analysis.stage_times(obs))
    assert summary["n_known"].eq(0).all() and summary["wait_mean_s"].isna().all()
    fig = plot_stage_times(summary, lang=lang)
    assert not fig.axes[0].patches
    assert any("started_at" in t.get_text() for t in fig.axes[0].texts)
    render(fig)


def test_hour_of_week_data_and_heatmap(log, lang) -> None:
    prof = analysis.hour_of_week_profile(log)
    # observed span: Monday 08:00-09:00 (one hour, index 8)
    arr = hour_of_week_grid(prof, metric="arrivals", role="all")
    assert arr[0, 8] == 2.0 and np.isnan(arr).sum() == 167
    busy = hour_of_week_grid(prof, metric="busy", role="technician")
    assert busy[0, 8] == pytest.approx(1780 / 3600)  # tech-1's busy pieces add to 1780 s
    assert hour_of_week_grid(prof, metric="utilisation", role="technician")[0, 8] == (
        pytest.approx(1780 / 3600))
    assert hour_of_week_grid(prof, metric="busy", role="desk")[0, 8] == pytest.approx(120 / 3600)
    # desk waits: before durative starts (A recorded 20, classified 10, recorded-2 50 = 80)
    # and before desk instants (A dispatched 100->120: 20; A closed 2600->2700: 100;
    # E closed 1900->1950: 50) = 250 s
    assert hour_of_week_grid(prof, metric="queue", role="desk")[0, 8] == pytest.approx(250 / 3600)
    # technician waits: 420 s before durative starts, plus A's signed (dispatched 120 -> 180)
    assert hour_of_week_grid(prof, metric="queue", role="technician")[0, 8] == pytest.approx(
        480 / 3600)
    for metric, role in [("arrivals", "all"), ("busy", "technician"), ("queue", "desk")]:
        fig = plot_hour_of_week(prof, metric=metric, role=role, lang=lang)
        shown = np.ma.filled(fig.axes[0].images[0].get_array(), np.nan)
        np.testing.assert_array_equal(shown, hour_of_week_grid(prof, metric=metric, role=role))
        render(fig)


def test_hour_of_week_spreads_an_interval_over_hours() -> None:
    # one technician busy Sunday 23:30 -> Monday 01:15 (UTC); events span Sun 23:00-Mon 01:59
    b = LogBuilder(t0="2026-03-01T23:00:00+00:00")
    (b.ticket("X", route=(True, True, False)).at(0, "received")
     .at(8100, "arrived", started_at=1800, resource="tech-9").at(10_700, "closed"))
    prof = analysis.hour_of_week_profile(b.build())
    busy = hour_of_week_grid(prof, metric="busy", role="technician")
    assert busy[6, 23] == 0.5 and busy[0, 0] == 1.0 and busy[0, 1] == 0.25
    assert np.nansum(busy) == pytest.approx(1.75)
    # the same in UTC+08:00 wall-clock hours: Monday 07:30 -> 09:15
    plus8 = pd.Timestamp("2026-03-02T00:00:00+08:00").tzinfo
    local = analysis.hour_of_week_profile(b.build(), tz=plus8)
    busy8 = hour_of_week_grid(local, metric="busy", role="technician")
    assert busy8[0, 7] == 0.5 and busy8[0, 8] == 1.0 and busy8[0, 9] == 0.25


def test_swimlane_data_and_figure(log, lang) -> None:
    seg = analysis.swimlane_segments(log)
    assert swimlane_lanes(seg) == ["desk-1", "tech-1", "sup-1"]
    pre = seg[seg["kind"] == "preempted"]
    assert len(pre) == 1 and pre.iloc[0]["lane"] == "tech-1"
    assert (pre.iloc[0]["end"] - pre.iloc[0]["start"]).total_seconds() == 420
    work_a = seg[(seg["ticket_id"] == "A") & (seg["activity"] == "work_completed")
                 & (seg["kind"] == "work")]
    assert sorted((work_a["end"] - work_a["start"]).dt.total_seconds()) == [300.0, 480.0]
    second = seg[(seg["kind"] == "event") & (seg["attempt"] >= 2)]
    assert sorted(second["activity"]) == ["closed", "recorded"]
    fig = plot_swimlane(seg, lang=lang)
    ax = fig.axes[0]
    hatched = [c for c in ax.collections if c.get_hatch() == "///"]
    assert len(hatched) == 1
    assert len(ax.collections[-1].get_offsets()) == 2  # the second-pass marks
    assert [t.get_text() for t in ax.get_yticklabels()] == ["desk-1", "tech-1", "sup-1"]
    render(fig)


def test_ripple_data_and_figure(log, lang) -> None:
    rip = analysis.emergency_ripple(log)
    assert rip[["emergency_id", "ticket_id", "resource", "delay_s"]].values.tolist() == [
        ["E", "A", "tech-1", 420.0]]
    summ = analysis.ripple_summary(rip)
    assert summ[["emergency_id", "n_tickets", "delay_s"]].values.tolist() == [["E", 1, 420.0]]
    fig = plot_ripple(summ, lang=lang)
    assert [p.get_width() for p in fig.axes[0].patches] == [7.0]
    render(fig)


def test_lateness_figure_shows_the_attribution(log, lang) -> None:
    # on_site of A: dispatched 120 -> arrived 600 = 480 s, met; plan: 900 -> 1000 met.
    # A hand-made breached on_site row with upper 300 s: late [420, 600) = travel 180 s.
    rows = pd.DataFrame([{
        "scenario": None, "replication": None, "ticket_id": "A", "attempt": 1,
        "occurrence": 1, "control_point": "on_site", "status": "breached",
        "start": pd.Timestamp(T0) + pd.Timedelta(seconds=120),
        "end": pd.Timestamp(T0) + pd.Timedelta(seconds=600), "duration_s": 480.0,
        "lower_s": None, "upper_s": 300.0, "lateness_s": 180.0,
    }])
    wide = analysis.lateness_by_ticket(analysis.attribute_lateness(log, rows))
    assert wide.loc[0, "travel"] == 180.0 and wide.loc[0, "total"] == 180.0
    fig = plot_lateness(wide, lang=lang)
    assert [p.get_width() for p in fig.axes[0].patches] == [3.0]
    render(fig)


def test_indicators_figure_shows_values_intervals_and_targets(lang) -> None:
    ind = pd.DataFrame({
        "level": "log", "scenario": None, "replication": None,
        "indicator": ["timeliness", "satisfaction", "accuracy", "pass_rate", "recognition",
                      "callback_rate"],
        "value": [0.5, 0.9, 1.0, 0.75, 0.95, 1.0],
        "ci_low": [0.2, 0.6, 0.7, 0.4, 0.7, 0.6],
        "ci_high": [0.8, 0.98, 1.0, 0.9, 0.99, 1.0],
        "target": ["= 100 %", "> 98 %", "> 98 %", "= 100 %", "> 99 %", "= 100 %"],
        "met": [False, False, True, False, False, True],
        "numerator": [1, 9, 3, 3, 19, 3], "denominator": [2, 10, 3, 4, 20, 3],
        "n_censored": [0, None, None, None, None, None],
    })
    fig = plot_indicators(ind.iloc[::-1], lang=lang)  # order restored from INDICATOR_IDS
    ax = fig.axes[0]
    eb = ax.containers[0]
    np.testing.assert_allclose(eb.lines[0].get_xdata(), [50, 90, 100, 75, 95, 100])
    segs = eb.lines[2][0].get_segments()
    np.testing.assert_allclose([s[0][0] for s in segs], [20, 60, 70, 40, 70, 60])
    np.testing.assert_allclose([s[1][0] for s in segs], [80, 98, 100, 90, 99, 100])
    targets = ax.collections[-1].get_offsets()
    np.testing.assert_allclose(np.asarray(targets)[:, 0], [100, 98, 98, 100, 99, 100])
    render(fig)


def test_indicator_rows_choose_the_rows_with_intervals() -> None:
    def rows(level: str, scen: str, rep: int | None, value: float) -> list[dict[str, object]]:
        return [{"level": level, "scenario": scen, "replication": rep, "indicator": i,
                 "value": value, "ci_low": None if rep is None else value - 0.1,
                 "ci_high": None if rep is None else value} for i in ("callback_rate",
                                                                      "timeliness")]
    one = pd.DataFrame(rows("replication", "a", 0, 0.5) + rows("scenario", "a", None, 0.5))
    got = indicator_rows(one)
    assert got["level"].tolist() == ["replication"] * 2  # one replication: its Wilson rows
    assert got["indicator"].tolist() == ["timeliness", "callback_rate"]  # the seed's order
    two = pd.DataFrame(rows("replication", "a", 0, 0.5) + rows("replication", "a", 1, 0.7)
                       + rows("scenario", "a", None, 0.6))
    assert indicator_rows(two)["level"].tolist() == ["scenario"] * 2
    assert indicator_rows(two)["value"].tolist() == [0.6, 0.6]


def test_compliance_data_and_heatmap(log, lang) -> None:
    clocks = pd.DataFrame({
        "scenario": None, "replication": None,
        "ticket_id": ["A", "A", "A", "E", "E"],
        "control_point": ["record", "record", "dispatch", "record", "on_site"],
        "status": ["met", "breached", "censored", "missing", "met"],
    })
    comp = analysis.clock_compliance(clocks, log.tickets)
    got = comp.set_index(["category", "control_point"])
    assert got.loc[("engineering", "record"), ["met", "late", "censored"]].tolist() == [1, 2, 0]
    assert got.loc[("engineering", "record"), "share_met"] == pytest.approx(1 / 3)
    assert np.isnan(got.loc[("engineering", "dispatch"), "share_met"])
    assert got.loc[("engineering", "on_site"), "share_met"] == 1.0
    fig = plot_compliance(comp, lang=lang)
    shown = np.ma.filled(fig.axes[0].images[0].get_array(), np.nan)
    np.testing.assert_array_equal(shown, compliance_grid(comp).to_numpy(float))
    assert list(compliance_grid(comp).columns) == ["record", "dispatch", "on_site"]
    render(fig)


def test_chinese_labels_use_a_cjk_font() -> None:
    need(cjk_font() is not None, "no CJK font installed (apt-get install fonts-noto-cjk)")
    fig = plot_ripple(pd.DataFrame(columns=["emergency_id", "n_tickets", "delay_s"]), lang="zh")
    title = fig.axes[0].get_title()
    assert title == "緊急事件對常規工單的影響"
    assert cjk_font() in fig.axes[0].title.get_fontfamily()
    render(fig)


def test_without_a_cjk_font_chinese_falls_back_to_english(monkeypatch, caplog) -> None:
    import fcsim.plotting.fonts as fonts

    monkeypatch.setattr(fonts, "cjk_font", lambda: None)
    with caplog.at_level(logging.WARNING, logger="fcsim.plotting.fonts"):
        assert effective_lang("zh") == "en"
        fig = plot_ripple(pd.DataFrame(columns=["emergency_id", "n_tickets", "delay_s"]),
                          lang="zh")
    assert fig.axes[0].get_title() == "Emergency ripple: routine tickets delayed"
    assert any("CJK" in r.getMessage() for r in caplog.records)
    with pytest.raises(ValueError, match="lang"):
        effective_lang("fr")  # type: ignore[arg-type]
