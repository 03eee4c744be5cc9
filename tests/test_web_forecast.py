"""The board's breach risk: each running clock carries the nowcast's probability, computed from
the recorder's open tickets, reused between polls, and the board goes on without it when the
forecast fails."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from test_nowcast import _at, _deterministic, _trace
from webtools import login, make_app

from fcsim.nowcast import breach_probabilities
from fcsim.web import ManualClock
from fcsim.web.forecast import BoardForecast

# four engineering requests, three engineers on the day shift (every duration fixed): the
# fourth waits for the first one back, far beyond its 10-minute on-site bound — a certain
# breach; the first three are on site in time — certainly met
ARRIVALS = [(600.0, "engineering"), (602.0, "engineering"), (604.0, "engineering"),
            (606.0, "engineering")]
AS_OF = 607.9


def _risk_of(page: str, ticket: str, clock: str) -> int | None:
    """The risk shown on ``ticket``'s ``clock`` chip (percent), or None without one."""
    at = page.find(f'data-ticket="{ticket}" data-clock="{clock}"')
    assert at >= 0, f"no {clock} chip for {ticket}"
    ends = [e for e in (page.find('<span class="clock', at), page.find("</td>", at)) if e > 0]
    m = re.search(r"risk (\d+) %", page[at:min(ends)])
    return int(m.group(1)) if m else None


def test_board_shows_each_clocks_breach_risk(tmp_path: Any) -> None:
    sc = _deterministic()
    log = _trace(sc, ARRIVALS)
    fc = BoardForecast(sc, horizon_min=60.0, replications=4, refresh_s=60.0, seed=2)
    calls: list[Any] = []
    compute = fc._forecast
    fc._forecast = lambda rec, now: calls.append(now) or compute(rec, now)  # type: ignore[method-assign]
    clock = ManualClock(_at(AS_OF).to_pydatetime())
    app, rec, _ = make_app(f"sqlite:///{tmp_path / 'b.sqlite'}", clock, forecast=fc)
    rec.import_eventlog(log)
    with TestClient(app) as client:
        login(client, "desk-ann")
        page = client.get("/board/rows").text
        expected = breach_probabilities(rec, sc, _at(AS_OF), horizon_min=60.0, replications=4,
                                        seed=2).set_index(["ticket_id", "control_point"])
        fourth, first = "apartment-r0-000003", "apartment-r0-000000"
        assert expected.loc[(fourth, "on_site"), "p_breach"] == 1.0
        assert _risk_of(page, fourth, "on_site") == 100
        assert 'class="risk high"' in page
        running = [(t, c) for (t, c) in expected.index
                   if f'data-ticket="{t}" data-clock="{c}"' in page]
        assert running, "no forecast clock is on the board"
        for t, c in running:
            assert _risk_of(page, t, c) == round(expected.loc[(t, c), "p_breach"] * 100)
        assert (first, "on_site") not in running or _risk_of(page, first, "on_site") == 0
        # polls within refresh_s reuse the forecast; a later one makes a new one
        clock.advance(30)
        client.get("/board/rows")
        assert len(calls) == 1
        clock.advance(31)
        client.get("/board")
        assert len(calls) == 2
    rec.close_connections()


def test_board_without_a_working_forecast_still_shows_its_clocks(tmp_path: Any) -> None:
    sc = _deterministic()
    log = _trace(sc, ARRIVALS)
    fc = BoardForecast(sc, horizon_min=60.0, replications=2)
    fc._forecast = lambda rec, now: {}  # type: ignore[method-assign]
    broken = BoardForecast(sc.model_copy(update={"categories": {}}), replications=2)
    for forecast in (fc, broken):
        clock = ManualClock(_at(AS_OF).to_pydatetime())
        app, rec, _ = make_app(f"sqlite:///{tmp_path / f'{id(forecast)}.sqlite'}", clock,
                               forecast=forecast)
        rec.import_eventlog(log)
        with TestClient(app) as client:
            login(client, "desk-ann")
            r = client.get("/board/rows")
            assert r.status_code == 200
            assert 'data-clock="on_site"' in r.text and "risk" not in r.text
        rec.close_connections()
