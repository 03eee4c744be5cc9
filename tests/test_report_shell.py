"""The shared report shell: sections in, one self-contained bilingual page out.

The page is checked as text (every label in the page's language, escaping, the figure's exact
bytes embedded, determinism) and opened in headless chromium (no console message, every image
loads, the sections render, the screenshot is not blank), in Chinese and in English.
"""

from __future__ import annotations

import base64
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from chromium import CHROMIUM, chromium, console_lines, probe
from conftest import need
from matplotlib.figure import Figure

from fcsim.plotting import cjk_font
from fcsim.report.shell import (
    CSP,
    Bilingual,
    FigureBlock,
    Section,
    Table,
    figure_png,
    render_page,
    write_page,
)

TITLE = Bilingual("班表報告", "Roster report")


def _png() -> bytes:
    fig = Figure(figsize=(4, 2))
    ax = fig.add_subplot()
    ax.plot([0, 1, 2], [0, 1, 0])
    return figure_png(fig)


@pytest.fixture(scope="module")
def sections() -> list[Section]:
    frame = pd.DataFrame({"group": ["desk", "<eng>"], "people": [3, 5], "share": [0.25, 1.5]})
    return [
        Section("roster", Bilingual("人手", "Staffing"),
                text=[Bilingual("三班制，每班一人。", "Three shifts, one clerk each.")],
                tables=[Table(frame, headers={"people": Bilingual("人數", "people")},
                              id="roster-table", caption=Bilingual("每班", "Per shift"))],
                figures=[FigureBlock("fig-roster", Bilingual("班表圖", "Roster figure"),
                                     _png())]),
        Section("risk", Bilingual("風險", "Risk"),
                text=[Bilingual("<b>不是</b>標記", "<b>not</b> markup")],
                html=Bilingual('<p class="x">甲</p>', '<p class="x">A</p>')),
    ]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_page_holds_the_sections_in_one_language(sections: list[Section], lang: str) -> None:
    page = render_page(TITLE, sections, lang=lang)
    zh = lang == "zh"
    assert page.startswith("<!DOCTYPE html>")
    assert f'content="{CSP}"' in page
    assert ("<title>班表報告</title>" in page) == zh
    assert ("<title>Roster report</title>" in page) == (not zh)
    assert ('<html lang="zh-Hant">' in page) == zh
    # contents: one link per section, in order
    assert re.findall(r'<a href="#([a-z]+)">', page) == ["roster", "risk"]
    assert ("三班制，每班一人。" in page) == zh and ("Three shifts" in page) == (not zh)
    # table: bilingual heading where given, column name otherwise; numbers right-aligned
    assert ("<th>人數</th>" in page) == zh and ("<th>people</th>" in page) == (not zh)
    assert "<th>group</th>" in page and "<th>share</th>" in page
    assert '<td class="num">3</td>' in page and '<td class="num">1.5</td>' in page
    # everything given as text is escaped; the html fragment is not
    assert "&lt;eng&gt;" in page and "<eng>" not in page
    assert "&lt;b&gt;" in page and "<b>" not in page
    assert ('<p class="x">甲</p>' in page) == zh
    # the figure's exact bytes are embedded
    m = re.search(r'<figure id="fig-roster"><img src="data:image/png;base64,([^"]+)"', page)
    assert m and base64.b64decode(m.group(1)) == sections[0].figures[0].png
    assert "<script" not in page and "http" not in page.replace(
        "http-equiv", "")  # self-contained: nothing loaded from elsewhere


def test_page_is_deterministic_and_checked(sections: list[Section], tmp_path: Path) -> None:
    a = write_page(tmp_path / "a" / "report.html", TITLE, sections, lang="en")
    b = write_page(tmp_path / "b.html", TITLE, sections, lang="en")
    assert a.read_bytes() == b.read_bytes()
    assert _png() == _png()  # figures render to the same bytes
    with pytest.raises(ValueError, match="unique"):
        render_page(TITLE, [sections[0], sections[0]], lang="en")
    with pytest.raises(ValueError, match="lang"):
        render_page(TITLE, sections, lang="fr")  # type: ignore[arg-type]


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_page_opens_in_headless_chromium(sections: list[Section], tmp_path: Path,
                                         lang: str) -> None:
    need(CHROMIUM is not None, "chromium not installed (apt-get install chromium)")
    if lang == "zh":
        need(cjk_font() is not None, "no CJK font installed (apt-get install fonts-noto-cjk)")
    page = write_page(tmp_path / "page.html", TITLE, sections, lang=lang)
    seen = probe(page, tmp_path)
    assert seen["errors"] == []
    assert seen["images"] == seen["loaded"] == 1
    assert seen["sections"] == 2
    shot = tmp_path / "shot.png"
    clean = tmp_path / "clean.html"
    shutil.copyfile(page, clean)
    res = chromium(["--window-size=1000,900", "--hide-scrollbars", f"--screenshot={shot}",
                    clean.as_uri()], tmp_path)
    assert shot.exists(), res.stderr[-2000:]
    assert console_lines(res.stderr) == []
    from PIL import Image

    px = np.asarray(Image.open(shot).convert("L"), dtype=float)
    assert px.shape == (900, 1000)
    assert px.std() > 15 and (px < 128).mean() > 0.003  # text, a table and a figure
