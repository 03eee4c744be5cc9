"""The run report: built from a small hand-built run directory, then opened in headless chromium.

Browser checks use Debian's ``chromium`` alone (no driver, no extra Python package):

* ``--dump-dom`` on a copy of the report with a small inline probe script (the copy's
  Content-Security-Policy additionally allows inline scripts, nothing else) that records
  console errors, window / resource errors and CSP violations, counts the images that loaded
  and the indicator rows, and writes the result into the DOM;
* the untouched report with ``--enable-logging=stderr``: no console message at all;
* ``--screenshot`` of the untouched report: not blank (pixel variance).

A negative control proves the probe can fail: an external image is reported.
"""

from __future__ import annotations

import json
import shutil
from html.parser import HTMLParser
from pathlib import Path

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
import pytest
from chromium import CHROMIUM, chromium, console_lines, probe
from conftest import need
from logbuilder import LogBuilder

from fcsim import analysis
from fcsim.eventlog import read_log, write_log
from fcsim.model.indicators import INDICATOR_IDS
from fcsim.model.timezone import parse_tz
from fcsim.plotting import plot_swimlane
from fcsim.report import build_report, write_workbook

T0 = pd.Timestamp("2026-03-02T08:00:00+00:00")
VALUES = [0.5, 0.9, 1.0, 0.75, 0.95, 1.0]


def write_run(d: Path) -> Path:
    """A tiny run: two tickets (one preempted by the other, one second pass), hand-made
    KPI tables and a manifest."""
    b = LogBuilder(t0=T0.isoformat(), scenario="tiny", replication=0,
                   manifest={"scenario": "tiny", "seed": 7, "days": 1})
    (b.ticket("A").at(0, "received").at(60, "recorded", started_at=20)
     .at(100, "classified", started_at=70).at(120, "dispatched")
     .at(180, "signed", resource="tech-1").at(600, "arrived", started_at=300, resource="tech-1")
     .at(1200, "work_started", resource="tech-1").at(1500, "preempted", resource="tech-1")
     .at(1920, "resumed", resource="tech-1")
     .at(2400, "work_completed", started_at=1200, resource="tech-1")
     .at(2500, "rejected", role="supervisor", resource="sup-1")
     .at(2600, "recorded", started_at=2550).at(2700, "closed"))
    (b.ticket("E", emergency=True, route=(True, True, False)).at(1490, "received")
     .at(1500, "recorded", started_at=1492)
     .at(1700, "arrived", started_at=1500, resource="tech-1")
     .at(1700, "work_started", resource="tech-1")
     .at(1900, "work_completed", started_at=1700, resource="tech-1").at(1950, "closed"))
    write_log(b.build(), d, fmt="csv")
    pd.DataFrame({
        "level": "replication", "scenario": "tiny", "replication": 0,
        "indicator": list(INDICATOR_IDS), "value": VALUES,
        "ci_low": [0.1, 0.6, 0.3, 0.3, 0.7, 0.3], "ci_high": [0.9, 0.99, 1.0, 0.95, 0.99, 1.0],
        "target": ["= 100 %", "> 98 %", "> 98 %", "= 100 %", "> 99 %", "= 100 %"],
        "met": [False, False, True, False, False, True],
        "numerator": [1, 9, 2, 3, 19, 1], "denominator": [2, 10, 2, 4, 20, 1],
        "n_censored": [0, None, None, None, None, None],
    }).to_csv(d / "indicators.csv", index=False)
    pd.DataFrame({
        "scenario": "tiny", "replication": 0, "period_start": "2026-03-02 00:00:00+00:00",
        "period_end": "2026-03-09 00:00:00+00:00", "partial": True,
        "indicator": list(INDICATOR_IDS), "value": VALUES,
        "numerator": [1, 9, 2, 3, 19, 1], "denominator": [2, 10, 2, 4, 20, 1],
    }).to_csv(d / "periods.csv", index=False)
    # on_site of A: dispatched 120 s -> arrived 600 s = 480 s; with a 300 s bound, 180 s late
    pd.DataFrame([{
        "scenario": "tiny", "replication": 0, "ticket_id": "A", "attempt": 1,
        "occurrence": 1, "control_point": "on_site", "status": "breached",
        "start": "2026-03-02 08:02:00+00:00", "end": "2026-03-02 08:10:00+00:00",
        "duration_s": 480.0, "lower_s": None, "upper_s": 300.0, "lateness_s": 180.0,
    }, {
        "scenario": "tiny", "replication": 0, "ticket_id": "A", "attempt": 1,
        "occurrence": 1, "control_point": "record", "status": "met",
        "start": "2026-03-02 08:00:00+00:00", "end": "2026-03-02 08:01:00+00:00",
        "duration_s": 60.0, "lower_s": None, "upper_s": 60.0, "lateness_s": None,
    }]).to_csv(d / "control_points.csv", index=False)
    return d


class _Scan(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.imgs: list[str] = []
        self.rows: list[str] = []
        self.external: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "img":
            self.imgs.append(a.get("src") or "")
        if tag == "tr" and "indicator-row" in (a.get("class") or ""):
            self.rows.append(a.get("data-indicator") or "")
        if tag == "script":
            self.scripts += 1
        for k in ("src", "href"):
            v = a.get(k)
            if v and not v.startswith(("data:", "#")):  # in-page anchors are not external
                self.external.append(v)


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    return write_run(tmp_path_factory.mktemp("run"))


@pytest.fixture(scope="module")
def reports(run: Path) -> dict[str, Path]:
    """The report in both languages (Chinese at the default path)."""
    return {"zh": build_report(run, lang="zh"),
            "en": build_report(run, lang="en", out=run / "report-en.html")}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_report_is_one_self_contained_page(reports: dict[str, Path], lang: str) -> None:
    html = reports[lang].read_text(encoding="utf-8")
    scan = _Scan()
    scan.feed(html)
    assert scan.rows == list(INDICATOR_IDS)  # six indicator rows, in the seed's order
    assert scan.external == [] and scan.scripts == 0
    assert len(scan.imgs) >= 8 and all(s.startswith("data:image/png;base64,") for s in scan.imgs)
    assert "50.0 %" in html and "1/2" in html and "= 100 %" in html  # timeliness row
    assert ("及時率" in html) == (lang == "zh")
    assert ("timeliness rate" in html) == (lang == "en")
    assert '"seed"' not in html and ">7<" in html  # the manifest's seed is shown
    assert 'id="period-table"' in html and "95.0 % (19/20)" in html


def test_default_report_path_and_missing_indicators(run: Path, reports: dict[str, Path],
                                                     tmp_path: Path) -> None:
    assert reports["zh"] == run / "report.html"
    empty = tmp_path / "bare"
    shutil.copytree(run, empty)
    (empty / "indicators.csv").unlink()
    with pytest.raises(FileNotFoundError, match=r"indicators\.csv"):
        build_report(empty)


def test_workbook_has_the_summary_sheets(run: Path, tmp_path: Path) -> None:
    import importlib.util

    need(importlib.util.find_spec("xlsxwriter") is not None,
         "XlsxWriter not installed (the 'excel' extra)")
    need(importlib.util.find_spec("openpyxl") is not None, "openpyxl (reads it back) absent")
    path = write_workbook(run, out=tmp_path / "kpi.xlsx")
    sheets = pd.read_excel(path, sheet_name=None)
    assert list(sheets) == ["indicators", "periods", "compliance", "control_points"]
    assert sheets["indicators"]["value"].tolist() == VALUES
    # the clock summary, by hand: on_site breached once by 180 s, record met once
    cp = sheets["control_points"].set_index("control_point")
    assert list(cp.index) == ["on_site", "record"]
    assert cp.loc["on_site", ["met", "breached", "missing", "censored"]].tolist() == [0, 1, 0, 0]
    assert cp.loc["on_site", "share_met"] == 0.0
    assert cp.loc["on_site", ["late_mean_s", "late_p95_s"]].tolist() == [180.0, 180.0]
    assert cp.loc["record", "share_met"] == 1.0 and np.isnan(cp.loc["record", "late_mean_s"])
    comp = sheets["compliance"].set_index(["category", "control_point"])
    assert comp.loc[("engineering", "on_site"), "late"] == 1
    # every clock row and the lateness per ticket only when asked
    full = pd.read_excel(write_workbook(run, out=tmp_path / "all.xlsx", all_clocks=True),
                         sheet_name=None)
    assert list(full) == ["indicators", "periods", "compliance", "control_points",
                          "control_points_all", "lateness"]
    assert full["control_points_all"]["lateness_s"].tolist()[0] == 180.0
    assert len(full["control_points_all"]) == 2
    lat = full["lateness"]
    assert lat["ticket_id"].tolist() == ["A"] and lat["travel"].tolist() == [180.0]
    # the same inputs give the same bytes; nothing half written is left behind
    again = write_workbook(run, out=tmp_path / "kpi2.xlsx")
    assert again.read_bytes() == path.read_bytes()
    assert not list(tmp_path.glob("*.part"))


def test_workbook_without_xlsxwriter_names_the_extra(run: Path, monkeypatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "xlsxwriter" else real(name, *a))
    with pytest.raises(ImportError, match=r"fcsim\[excel\]"):
        write_workbook(run)


# --- headless chromium -----------------------------------------------------------------------

@pytest.fixture
def browser() -> str:
    need(CHROMIUM is not None, "chromium not installed (apt-get install chromium)")
    assert CHROMIUM is not None
    return CHROMIUM


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_report_opens_in_headless_chromium(browser: str, reports: dict[str, Path],
                                           tmp_path: Path, lang: str) -> None:
    report = tmp_path / "report.html"
    shutil.copyfile(reports[lang], report)
    seen = probe(report, tmp_path)
    assert seen["errors"] == []
    assert seen["images"] == seen["loaded"] and int(seen["images"]) >= 8  # type: ignore[call-overload]
    assert seen["rows"] == 6
    shot = tmp_path / "shot.png"
    res = chromium(["--window-size=1200,1600", "--hide-scrollbars", f"--screenshot={shot}",
                    report.as_uri()], tmp_path)
    assert shot.exists(), res.stderr[-2000:]
    assert console_lines(res.stderr) == []  # the untouched page logs nothing at all
    from PIL import Image

    px = np.asarray(Image.open(shot).convert("L"), dtype=float)
    assert px.shape == (1600, 1200)
    assert px.std() > 20  # text, tables and figures, not a blank page
    assert (px < 128).mean() > 0.005  # a fair amount of dark ink


@pytest.mark.slow
def test_probe_catches_an_external_image(browser: str, reports: dict[str, Path],
                                         tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    bad = reports["en"].read_text(encoding="utf-8").replace(
        "</body>", '<img src="http://127.0.0.1:9/x.png" alt="x"></body>')
    report.write_text(bad, encoding="utf-8")
    seen = probe(report, tmp_path)
    assert seen["loaded"] == int(seen["images"]) - 1  # type: ignore[call-overload]
    assert any("127.0.0.1" in e for e in seen["errors"])  # type: ignore[union-attr]


def test_ownership_section_and_local_zone(tmp_path: Path) -> None:
    """fcsim's ownership measure gets its own section, marked as not a seed target, in both
    languages; hours and the swimlane read the manifest's zone."""
    d = write_run(tmp_path / "run")
    man = json.loads((d / "manifest.json").read_text())
    man["time_zone"] = {"tiny": "Asia/Shanghai"}
    (d / "manifest.json").write_text(json.dumps(man))
    pd.DataFrame({
        "level": ["replication"], "scenario": ["tiny"], "replication": [0],
        "measure": ["ownership_continuity"], "value": [0.75], "ci_low": [0.3],
        "ci_high": [0.95], "numerator": [3], "denominator": [4],
    }).to_csv(d / "ownership.csv", index=False)
    figs = d / "figs"
    zh = build_report(d, lang="zh", out=d / "zh.html", figures_dir=figs).read_text()
    en = build_report(d, lang="en", out=d / "en.html").read_text()
    assert "首接負責延續率（fcsim 自訂衡量，非種子文件目標）" in zh
    assert "first-contact ownership continuity — fcsim's measure, not a seed target" in en
    for page in (zh, en):
        section = page[page.index('id="ownership"'):page.index('id="figures"')]
        assert "75.0 %" in section and "3/4" in section and "[30.0 %, 95.0 %]" in section
        assert "(Asia/Shanghai)" in page  # the hour-of-week captions name the zone
    # the swimlane's time axis is local: A's receipt 08:00 UTC shows as 16:00
    log = read_log(d)
    fig = plot_swimlane(analysis.swimlane_segments(log, ["A"]), tz=parse_tz("Asia/Shanghai"))
    ax = fig.axes[0]
    assert ax.get_xlabel() == "time (Asia/Shanghai, 2026-03-02)"
    lo, hi = ax.get_xlim()
    # one local shift by default: A's receipt (16:00 local) begins the 16:00-24:00 shift
    assert (mdates.num2date(lo).hour, mdates.num2date(hi).hour) == (16, 0)
    assert (hi - lo) * 24 == pytest.approx(8.0)
