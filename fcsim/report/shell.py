"""The shared report shell: sections in, one self-contained bilingual HTML page out.

Every command that concludes something (``run``, ``compare``, ``validate``, ``staff`` /
``roster``) writes the same kind of page: a title, a table of contents and sections, each with
narrative text, tables and figures. A command supplies :class:`Section` objects whose every
label is a :class:`Bilingual` pair, and :func:`write_page` renders them in Chinese or English.

The page loads no external resource and runs no script: figures are embedded as base64 PNG
``data:`` URIs and a Content-Security-Policy (:data:`CSP`) forbids anything but inline styles
and ``data:`` images. Nothing on the page depends on the time it was written, so the same
inputs give a byte-identical page.

Example::

    from fcsim.report.shell import (Bilingual, FigureBlock, Section, Table, figure_png,
                                    write_page)

    section = Section("staff", Bilingual("人手", "Staffing"),
                      text=[Bilingual("三班制。", "Three shifts.")],
                      tables=[Table(frame, headers={"n": Bilingual("人數", "people")})],
                      figures=[FigureBlock("fig-staff", Bilingual("班表", "Roster"),
                                           figure_png(fig))])
    write_page(out / "report.html", Bilingual("班表報告", "Roster report"), [section],
               lang="zh")
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from fcsim import __version__
from fcsim.plotting.fonts import Lang

__all__ = [
    "CSP",
    "STYLE",
    "Bilingual",
    "FigureBlock",
    "Section",
    "Table",
    "figure_png",
    "render_page",
    "write_page",
]

#: Content-Security-Policy of every page: inline styles and data: images only.
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"

STYLE = """
body{font-family:"Noto Sans CJK TC","Noto Sans CJK SC","Microsoft JhengHei","PingFang TC",
sans-serif;margin:2em auto;max-width:1100px;color:#222;background:#fff;padding:0 1em}
header p.subtitle{color:#555;margin-top:-0.6em}
nav.toc{border:1px solid #ddd;background:#fafafa;padding:0.4em 1em;margin:1em 0}
nav.toc ol{margin:0.3em 0;padding-left:1.4em}
nav.toc a{color:#0b57d0;text-decoration:none}
section{margin:1.8em 0}
h2{border-bottom:2px solid #e5e5e5;padding-bottom:0.2em}
p.narrative{max-width:75ch;line-height:1.5}
table{border-collapse:collapse;margin:0.5em 0 1.5em}
th,td{border:1px solid #ccc;padding:0.25em 0.6em;text-align:left;font-size:0.9em}
thead th{background:#f0f0f0}
td.num{text-align:right;font-variant-numeric:tabular-nums}
caption{caption-side:top;text-align:left;font-weight:bold;padding:0.3em 0}
tr.met td:nth-last-child(3){color:#1a7f37}
tr.not-met td:nth-last-child(3){color:#cf222e;font-weight:bold}
figure{margin:1em 0}
figure img{max-width:100%;border:1px solid #eee}
figcaption{font-size:0.9em;color:#555}
footer{margin-top:3em;font-size:0.8em;color:#777;border-top:1px solid #eee;padding-top:0.5em}
"""


@dataclass(frozen=True)
class Bilingual:
    """A phrase in Chinese and English."""

    zh: str
    en: str

    def pick(self, lang: Lang) -> str:
        """The phrase in ``lang``."""
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class Table:
    """A table of a section.

    Attributes
    ----------
    frame
        The rows; cells are shown as ``str(value)`` (missing values as empty cells, floats
        with ``float_format``), so format percentages and the like beforehand.
    headers
        Column → heading; columns without one keep their name.
    id
        The ``<table>`` element's id (optional).
    caption
        A caption above the table (optional).
    float_format
        How floats are written (default: 3 significant digits).
    """

    frame: pd.DataFrame
    headers: Mapping[str, Bilingual] = field(default_factory=dict)
    id: str | None = None
    caption: Bilingual | None = None
    float_format: str = "{:.3g}"


@dataclass(frozen=True)
class FigureBlock:
    """A figure already rendered to PNG bytes (:func:`figure_png`), with its caption."""

    id: str
    caption: Bilingual
    png: bytes


@dataclass(frozen=True)
class Section:
    """One section of a page.

    Attributes
    ----------
    id
        The section's anchor (``<section id=...>``), unique on the page.
    title
        Its heading.
    text
        Narrative paragraphs, shown first.
    tables, figures
        Shown after the text, tables first.
    html
        A fragment of trusted HTML (already escaped by its builder), per language, shown
        after the text and before the tables: for content the shell has no block for.
    """

    id: str
    title: Bilingual
    text: Sequence[Bilingual] = ()
    tables: Sequence[Table] = ()
    figures: Sequence[FigureBlock] = ()
    html: Bilingual | None = None


def figure_png(fig: Figure, *, dpi: int = 100) -> bytes:
    """Render a figure to PNG bytes once (the page embeds them, ``figures/`` stores them)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()


def _text(s: str) -> str:
    """Element text, escaped (quotes are safe outside attributes)."""
    return html.escape(s, quote=False)


def _cell(v: Any, float_format: str) -> tuple[str, bool]:
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return "", False
    if isinstance(v, bool):
        return _text(str(v)), False
    if isinstance(v, float):
        return _text(float_format.format(v)), True
    if isinstance(v, int):
        return _text(str(v)), True
    return _text(str(v)), False


def _table(t: Table, lang: Lang) -> str:
    cols = list(t.frame.columns)
    heads = "".join(f"<th>{_text(t.headers[c].pick(lang) if c in t.headers else str(c))}"
                    "</th>" for c in cols)
    rows = []
    for values in t.frame.itertuples(index=False, name=None):
        cells = []
        for v in values:
            text, num = _cell(v, t.float_format)
            cells.append(f'<td class="num">{text}</td>' if num else f"<td>{text}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    ident = f' id="{html.escape(t.id)}"' if t.id else ""
    cap = f"<caption>{_text(t.caption.pick(lang))}</caption>" if t.caption else ""
    return (f"<table{ident}>{cap}<thead><tr>{heads}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def _figure(f: FigureBlock, lang: Lang) -> str:
    cap = f.caption.pick(lang)
    b64 = base64.b64encode(f.png).decode("ascii")
    return (f'<figure id="{html.escape(f.id)}"><img src="data:image/png;base64,{b64}" '
            f'alt="{html.escape(cap)}"><figcaption>{_text(cap)}</figcaption></figure>')


def _section(s: Section, lang: Lang) -> str:
    parts = [f'<section id="{html.escape(s.id)}"><h2>{_text(s.title.pick(lang))}</h2>']
    parts += [f'<p class="narrative">{_text(p.pick(lang))}</p>' for p in s.text]
    if s.html is not None:
        parts.append(s.html.pick(lang))
    parts += [_table(t, lang) for t in s.tables]
    parts += [_figure(f, lang) for f in s.figures]
    parts.append("</section>")
    return "".join(parts)


_TOC = Bilingual("目錄", "Contents")
_FOOT = Bilingual("由 fcsim {version} 產生；自成一頁，不載入任何外部資源。",
                  "Written by fcsim {version}; one self-contained page, nothing loaded from "
                  "elsewhere.")


def render_page(title: Bilingual, sections: Sequence[Section], *, lang: Lang,
                subtitle: Bilingual | None = None) -> str:
    """The page's HTML in ``lang`` (``"zh"`` or ``"en"``).

    Raises
    ------
    ValueError
        When ``lang`` is neither, or two sections share an id.
    """
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', got {lang!r}")
    ids = [s.id for s in sections]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise ValueError(f"section ids must be unique on a page, repeated: {dup}")
    t = _text(title.pick(lang))
    sub = (f'<p class="subtitle">{_text(subtitle.pick(lang))}</p>'
           if subtitle is not None else "")
    toc = "".join(f'<li><a href="#{html.escape(s.id)}">{_text(s.title.pick(lang))}</a>'
                  "</li>" for s in sections)
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{"zh-Hant" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{t}</title><style>{STYLE}</style></head><body>"
        f"<header><h1>{t}</h1>{sub}</header>"
        f'<nav class="toc"><strong>{_TOC.pick(lang)}</strong><ol>{toc}</ol></nav>'
        + "".join(_section(s, lang) for s in sections)
        + f"<footer>{_text(_FOOT.pick(lang).format(version=__version__))}</footer>"
        "</body></html>\n"
    )


def write_page(path: str | Path, title: Bilingual, sections: Sequence[Section], *,
               lang: Lang, subtitle: Bilingual | None = None) -> Path:
    """Render the page (:func:`render_page`) and write it to ``path`` (UTF-8); returns it."""
    page = render_page(title, sections, lang=lang, subtitle=subtitle)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(page, encoding="utf-8")
    return target
