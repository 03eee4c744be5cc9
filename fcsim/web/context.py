"""What every request of the web front end shares: the recorder, the accounts, the settings.

The clock is a setting (``WebSettings.clock``), so that a test or a training session can set
the time (:class:`ManualClock`) and watch a clock turn to breached without waiting.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from fcsim.model.control_points import ControlPoints
from fcsim.recorder import Recorder
from fcsim.recorder.accounts import Accounts
from fcsim.web.idempotency import InFlight

if TYPE_CHECKING:
    from fcsim.web.forecast import BoardForecast

__all__ = ["ManualClock", "WebContext", "WebSettings", "system_clock"]


def system_clock() -> datetime:
    """The wall clock, in UTC."""
    return datetime.now(UTC)


class ManualClock:
    """A clock that stands still until it is set or advanced (tests, training).

    Parameters
    ----------
    start:
        The initial time (aware).
    """

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, when: datetime) -> None:
        """Set the time (aware datetime)."""
        if when.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        with self._lock:
            self._now = when

    def advance(self, seconds: float) -> datetime:
        """Move the time forward; returns the new time."""
        with self._lock:
            self._now = self._now + timedelta(seconds=seconds)
            return self._now


@dataclass(frozen=True)
class WebSettings:
    """How a front end runs.

    Attributes
    ----------
    tz:
        The site's time zone: pages show and read local times in it (default UTC).
    clock:
        Returns the current time (aware); the default is the wall clock.
    poll_s:
        How often the board and ticket pages refresh their clocks from the server.
    margin_s:
        A running clock with at most this much left is shown as "under a minute left".
    secure_cookies:
        Mark the session cookie ``Secure`` (behind HTTPS).
    session_ttl_s:
        How long a login lasts (default one 12-hour shift).
    bounds:
        Control-point bounds (default the seed's).
    forecast:
        The board's breach risks (:class:`~fcsim.web.forecast.BoardForecast`; ``None``: the
        board shows clocks only).
    """

    tz: tzinfo = UTC
    clock: Callable[[], datetime] = system_clock
    poll_s: float = 5.0
    margin_s: float = 60.0
    secure_cookies: bool = False
    session_ttl_s: float = 12 * 3600
    bounds: ControlPoints | None = None
    forecast: BoardForecast | None = None


@dataclass
class WebContext:
    """The recorder, its accounts, the settings and the page templates of one app."""

    recorder: Recorder
    accounts: Accounts
    settings: WebSettings
    templates: Any
    in_flight: InFlight = field(default_factory=InFlight)

    def now(self) -> datetime:
        """The current time from the settings' clock, in UTC, to the millisecond."""
        now = self.settings.clock()
        if now.tzinfo is None:
            raise ValueError("the web clock returned a naive datetime")
        now = now.astimezone(UTC)
        return now.replace(microsecond=now.microsecond // 1000 * 1000)
