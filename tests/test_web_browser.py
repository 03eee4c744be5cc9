"""Headless chromium (Debian's, driven by Playwright) as a desk clerk and a technician: intake,
record, classify, dispatch, accept the job on a phone, watch the on-site clock turn to breached
on the board, a step the lifecycle refuses, and the ticket to close — while the board's and
the ticket page's clocks agree with ``fcsim kpi`` on the exported log.

Screenshots of the board, the ticket page and the technician's phone view go to the test's
directory, and to ``$FCSIM_WEB_SCREENSHOTS`` when set: ``FCSIM_WEB_SCREENSHOTS=docs pytest
tests/test_web_browser.py`` refreshes the ones in ``docs/``.
"""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest import need
from webtools import PASSWORDS, live_server, make_app

from fcsim.cli import main
from fcsim.model.timezone import parse_tz
from fcsim.web import ManualClock

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 at the site (Asia/Shanghai)
TID = "W-1001"


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.fixture
def browser() -> Any:
    need(Path(CHROMIUM).exists(), "Debian's chromium is not installed")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        need(False, "playwright (the test extra) is not installed")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


def _login(page: Any, base: str, name: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORDS[name])
    with page.expect_navigation():
        page.click("button[type=submit]")


def _act(page: Any, activity: str) -> None:
    with page.expect_navigation():
        page.click(f"button[data-activity={activity}]")


def _kpi(url: str, tmp: Path, as_of: datetime, name: str) -> pd.DataFrame:
    """``fcsim record export`` then ``fcsim kpi`` on the exported log, as a user would."""
    assert main(["record", "--db", url, "export", str(tmp / f"log-{name}")]) == 0
    assert main(["kpi", str(tmp / f"log-{name}"), "--as-of", as_of.isoformat(),
                 "--out", str(tmp / f"kpi-{name}")]) == 0
    return pd.read_csv(tmp / f"kpi-{name}" / "control_points.csv", dtype={"ticket_id": str})


def _board_chips(page: Any) -> set[tuple[str, str, int, int, str, int]]:
    chips = page.eval_on_selector_all(".board .clock[data-deadline-ms]", """els => els.map(e =>
        [e.dataset.ticket, e.dataset.clock, +e.dataset.attempt, +e.dataset.occurrence,
         e.dataset.state, +e.dataset.deadlineMs])""")
    return {tuple(c) for c in chips}


def _kpi_chips(cp: pd.DataFrame, open_ids: set[str]) -> set[tuple[str, str, int, int, str, int]]:
    out = set()
    for r in cp.itertuples(index=False):
        if r.ticket_id not in open_ids or r.status not in ("censored", "breached"):
            continue
        start = pd.Timestamp(r.start)
        deadline = (start + pd.Timedelta(seconds=float(r.upper_s)) if not pd.isna(r.start)
                    else pd.Timestamp(r.end) - pd.Timedelta(seconds=float(r.lower_s)))
        margin_left = (deadline - pd.Timestamp(AS_OF[0])).total_seconds()
        state = ("breached" if r.status == "breached" else
                 "about_to_breach" if margin_left <= 60 else "running")
        out.add((r.ticket_id, r.control_point, int(r.attempt), int(r.occurrence), state,
                 int(deadline.timestamp() * 1000)))
    return out


AS_OF: list[datetime] = [T0]


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_desk_and_technician_carry_a_ticket_to_close(browser: Any, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'desk.sqlite'}"
    clock = ManualClock(T0)
    app, rec, _ = make_app(url, clock, tz=parse_tz("Asia/Shanghai"), poll_s=0.25)
    # two more open tickets, so that the board has something to sort: an emergency whose
    # plan clock runs from +600 s (≤ 180 s), and a request received at +660 s (record ≤ 60 s)
    rec.open_ticket("W-0998", category="fire", emergency=True, received_at=at(-200),
                    location="7/F corridor", content="smoke alarm", resource="desk-ann")
    for act, s in (("emergency_reported", -170), ("recorded", -160), ("classified", -150),
                   ("dispatched", -140), ("arrived", 300), ("diagnosed", 600)):
        rec.append("W-0998", act, at(s), resource="sec-1")
    rec.open_ticket("W-0999", category="cleaning", received_at=at(660), location="Lobby",
                    content="coffee spilt by the lifts", resource="desk-ann")
    shots = [tmp_path]
    if os.environ.get("FCSIM_WEB_SCREENSHOTS"):
        shots.append(Path(os.environ["FCSIM_WEB_SCREENSHOTS"]))
    with live_server(app) as base:
        desk = browser.new_context(viewport={"width": 1280, "height": 860}).new_page()
        tech = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                   has_touch=True).new_page()
        _login(desk, base, "desk-ann")
        assert desk.url.endswith("/board")
        # intake: the work order (received now = 09:00 site time)
        desk.click("text=開單 New ticket")
        desk.fill("input[name=location]", "B-1203")
        desk.fill("textarea[name=content]", "Bathroom tap leaks onto the floor")
        desk.fill("input[name=contact]", "Mr Wang")
        desk.fill("input[name=phone]", "138 1234 5678")
        desk.select_option("select[name=category]", "engineering")
        desk.select_option("select[name=source]", "customer_call")
        desk.fill("input[name=ticket_id]", TID)
        with desk.expect_navigation():
            desk.click("button.primary")
        assert desk.url.endswith(f"/tickets/{TID}")
        assert "09:00:00" in desk.inner_text("dl.facts")  # local time of receipt
        for s, act in ((40, "recorded"), (70, "classified"), (100, "dispatched")):
            clock.set(at(s))
            _act(desk, act)
            assert desk.locator(f"tr[data-activity={act}]").count() == 1
        # the technician, on a phone, takes the job
        clock.set(at(160))
        _login(tech, base, "tech-bo")
        assert tech.url.endswith("/jobs")
        assert tech.locator(f"article.job[data-ticket='{TID}']").count() == 1
        with tech.expect_navigation():
            tech.click(f"article.job[data-ticket='{TID}'] button[data-activity=signed]")
        assert "我的 mine" in tech.inner_text(f"article.job[data-ticket='{TID}']")
        for d in shots:
            d.mkdir(parents=True, exist_ok=True)
            tech.screenshot(path=str(d / "web-jobs.png"), full_page=True)
        # on the board the on-site clock runs (≤ 600 s from dispatch at +100 s)…
        desk.goto(f"{base}/board")
        chip = f".clock[data-ticket='{TID}'][data-clock=on_site]"
        assert desk.get_attribute(chip, "data-state") == "running"
        # …and turns to breached, live, once the (test) clock passes 09:11:40
        clock.set(at(701))
        desk.wait_for_selector(f"{chip}[data-state=breached]", timeout=10_000)
        AS_OF[0] = at(701)
        desk.wait_for_timeout(600)  # a full poll at the new time
        board = _board_chips(desk)
        cp = _kpi(url, tmp_path, at(701), "open")
        assert board == _kpi_chips(cp, {TID, "W-0998", "W-0999"})
        assert (TID, "on_site", 1, 1, "breached", int(at(700).timestamp() * 1000)) in board
        # most urgent first: breached, then 19 s left, then 79 s left
        assert {(t, c, st) for t, c, _, _, st, _ in board} == {
            (TID, "on_site", "breached"), ("W-0999", "record", "about_to_breach"),
            ("W-0998", "plan", "running")}
        ids = desk.eval_on_selector_all(".board tr.ticket", "els => els.map(e => e.dataset.ticket)")
        assert ids == [TID, "W-0999", "W-0998"]
        desk.set_viewport_size({"width": 1280, "height": 400})  # full page: just the content
        for d in shots:
            desk.screenshot(path=str(d / "web-board.png"), full_page=True)
        desk.set_viewport_size({"width": 1280, "height": 860})
        # the technician arrives (late) and works; the lifecycle refuses a skipped stage
        steps = [(720, "arrived"), (800, "diagnosed"), (900, "planned"),
                 (960, "communicated"), (1000, "work_started")]
        for s, act in steps[:2]:
            clock.set(at(s))
            _act(tech, act)
        clock.set(at(850))
        desk.goto(f"{base}/tickets/{TID}")
        n_events = desk.locator("table.events tbody tr").count()
        desk.click("details summary")
        desk.select_option("select[name=other]", "work_completed")
        desk.click("button[value=__other__]")
        desk.wait_for_selector(".message.error")
        message = desk.inner_text(".message.error")
        assert "missing_prerequisite" in message and "nothing was written" in message
        assert desk.locator("table.events tbody tr").count() == n_events
        for s, act in [*steps[2:], (1500, "work_completed"), (1600, "accepted")]:
            clock.set(at(s))
            _act(tech, act)
        # the desk takes the slip back, calls the customer back and closes
        desk.goto(f"{base}/tickets/{TID}")
        clock.set(at(1700))
        _act(desk, "slip_returned")
        clock.set(at(1760))
        desk.click("details summary")
        desk.select_option("select[name=satisfied]", "yes")
        _act(desk, "callback")
        clock.set(at(1800))
        _act(desk, "closed")
        assert "已關閉 closed" in desk.inner_text("h1")
        clock.set(at(1900))
        desk.goto(f"{base}/tickets/{TID}")
        for d in shots:
            desk.screenshot(path=str(d / "web-ticket.png"), full_page=True)
        shown = set(tuple(x) for x in desk.eval_on_selector_all(
            "table.clocks-table tbody tr[data-clock]", """els => els.map(e =>
            [e.dataset.clock, +e.dataset.attempt, +e.dataset.occurrence, e.dataset.status])"""))
        desk.goto(f"{base}/board")
        assert desk.locator(f"tr.ticket[data-ticket='{TID}']").count() == 0
    cp = _kpi(url, tmp_path, at(1900), "closed")
    mine = cp[cp["ticket_id"] == TID]
    assert shown == {(r.control_point, int(r.attempt), int(r.occurrence), r.status)
                     for r in mine.itertuples(index=False)}
    assert shown == {("record", 1, 1, "met"), ("dispatch", 1, 1, "met"),
                     ("on_site", 1, 1, "breached"), ("plan", 1, 1, "met"),
                     ("callback", 1, 1, "met")}
    ev = rec.export().events
    ev = ev[ev["ticket_id"] == TID]
    assert ev["resource"].astype(str).tolist() == (
        ["desk-ann"] * 4 + ["tech-bo"] * 8 + ["desk-ann"] * 3)
    assert ev["timestamp"].tolist()[-1] == pd.Timestamp(at(1800))
    assert (tmp_path / "web-board.png").stat().st_size > 10_000
    rec.close_connections()
