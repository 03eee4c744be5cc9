"""A font with CJK glyphs for Chinese labels, found through matplotlib's font manager.

Preference: Noto Sans CJK (TC, HK, SC, JP, KR; Debian package ``fonts-noto-cjk``), Source Han
Sans, WenQuanYi, then any installed font that has the glyphs of the labels.

matplotlib keeps its font list in a cache built the first time it ran; a CJK font installed
after that is not in the list. So when no CJK font is found, :func:`cjk_font` rebuilds the font
list once (rescanning the system's fonts and rewriting the cache) and looks again. Only when
there is still none do Chinese figures fall back to English labels, with a logged warning.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Literal

import matplotlib
from matplotlib import font_manager, ft2font

__all__ = ["Lang", "cjk_font", "effective_lang", "figure_style", "rebuild_font_list"]

Lang = Literal["zh", "en"]

_log = logging.getLogger(__name__)
_PREFERRED = (
    "Noto Sans CJK TC", "Noto Sans CJK HK", "Noto Sans CJK SC", "Noto Sans CJK JP",
    "Noto Sans CJK KR", "Source Han Sans TC", "Source Han Sans SC", "Source Han Sans",
    "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Noto Serif CJK TC", "AR PL UMing TW",
    "Droid Sans Fallback",
)
_PROBE = "及時率處理合格回訪錄入"


def _has_glyphs(path: str) -> bool:
    try:
        font = ft2font.FT2Font(path)
    except (OSError, RuntimeError, ValueError):
        return False
    return all(font.get_char_index(ord(ch)) != 0 for ch in _PROBE)


def rebuild_font_list() -> None:
    """Rebuild matplotlib's font list from the fonts installed now (and rewrite its cache)."""
    load = getattr(font_manager, "_load_fontmanager", None)
    if load is not None:
        fm = load(try_read_cache=False)
        font_manager.fontManager = fm
        font_manager.findfont = fm.findfont
        font_manager.get_font_names = fm.get_font_names
        return
    known = {e.fname for e in font_manager.fontManager.ttflist}  # pragma: no cover
    for path in font_manager.findSystemFonts():  # pragma: no cover - other matplotlib
        if path not in known:
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError, ValueError):
                continue


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The family name of an installed font with CJK glyphs, or ``None``.

    When matplotlib's font list has none (a cache older than the font), the list is rebuilt
    once (:func:`rebuild_font_list`) and searched again; the answer is then remembered.
    """
    found = _search_cjk()
    if found is None:
        _log.info("no CJK font in matplotlib's font list: rebuilding it once (its cache may "
                  "predate the font's installation)")
        rebuild_font_list()
        found = _search_cjk()
        if found is not None:
            _log.info("found %s after rebuilding matplotlib's font list", found)
    return found


def _search_cjk() -> str | None:
    entries = font_manager.fontManager.ttflist
    by_name: dict[str, str] = {}
    for e in entries:
        by_name.setdefault(e.name, e.fname)
    for name in _PREFERRED:
        if name in by_name and _has_glyphs(by_name[name]):
            return name
    for name, path in sorted(by_name.items()):
        if any(k in name for k in ("CJK", "Han", "Hei", "Ming", "Song", "Kai")) and _has_glyphs(
            path
        ):
            return name
    return None


def effective_lang(lang: Lang) -> Lang:
    """``lang``, or ``"en"`` (with a warning) when Chinese was asked and no CJK font exists."""
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', got {lang!r}")
    if lang == "zh" and cjk_font() is None:
        _log.warning(
            "no font with CJK glyphs found (install fonts-noto-cjk); using English labels"
        )
        return "en"
    return lang


@contextmanager
def figure_style(lang: Lang) -> Iterator[Lang]:
    """Context in which figures are built: fonts for ``lang``; yields the effective language.

    The font family is stored on each text when it is created, so figures built inside the
    context keep their fonts when drawn later.
    """
    eff = effective_lang(lang)
    font = cjk_font()
    family: list[str] = list(matplotlib.rcParams["font.family"])
    if font is not None:  # per-glyph fallback: Latin from DejaVu, CJK from the CJK font
        family = [font, "DejaVu Sans"] if eff == "zh" else ["DejaVu Sans", font]
    with matplotlib.rc_context(
        {"axes.unicode_minus": False, "figure.dpi": 100, "font.family": family}
    ):
        yield eff
