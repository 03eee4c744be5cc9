"""Chinese labels render even when matplotlib's font cache predates the CJK font."""

from __future__ import annotations

import pytest
from conftest import need
from matplotlib import font_manager

from fcsim.plotting import fonts


@pytest.fixture
def stale_cache(monkeypatch: pytest.MonkeyPatch):
    """matplotlib's font list as a cache built before the CJK fonts were installed: the same
    list without any font that has the labels' glyphs. Everything is restored afterwards."""
    need(fonts.cjk_font() is not None, "no CJK font installed (apt install fonts-noto-cjk)")
    fm = font_manager.fontManager
    for name in ("fontManager", "findfont", "get_font_names"):
        monkeypatch.setattr(font_manager, name, getattr(font_manager, name))
    stale = [e for e in fm.ttflist if not fonts._has_glyphs(e.fname)]
    assert len(stale) < len(fm.ttflist)
    monkeypatch.setattr(fm, "ttflist", stale)
    fonts.cjk_font.cache_clear()
    yield
    fonts.cjk_font.cache_clear()


def test_cjk_font_rebuilds_a_stale_font_list_once(stale_cache, monkeypatch) -> None:
    calls = []
    real = fonts.rebuild_font_list
    monkeypatch.setattr(fonts, "rebuild_font_list", lambda: (calls.append(1), real())[1])
    assert fonts._search_cjk() is None  # the stale list really has no CJK font
    found = fonts.cjk_font()
    assert found is not None and calls == [1]
    assert fonts.effective_lang("zh") == "zh"
    with fonts.figure_style("zh") as eff:
        assert eff == "zh"
    assert fonts.cjk_font() == found and calls == [1]  # remembered: no second rebuild


def test_no_cjk_font_at_all_falls_back_to_english_after_one_rebuild(
        monkeypatch, caplog) -> None:
    calls = []
    monkeypatch.setattr(fonts, "_search_cjk", lambda: None)
    monkeypatch.setattr(fonts, "rebuild_font_list", lambda: calls.append(1))
    fonts.cjk_font.cache_clear()
    try:
        with caplog.at_level("WARNING", logger="fcsim"):
            assert fonts.effective_lang("zh") == "en"
            assert fonts.effective_lang("zh") == "en"
        assert calls == [1]
        assert "fonts-noto-cjk" in caplog.text
    finally:
        fonts.cjk_font.cache_clear()
