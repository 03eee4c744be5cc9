"""Server-rendered pages: the Jinja2 environment (autoescaping every value), labels and filters.

Every user-supplied string reaches the HTML through Jinja2 with autoescaping on, and the pages
run no inline script (the Content-Security-Policy of :mod:`fcsim.web.app` forbids it); the
little JavaScript there is (``static/app.js``) reads data attributes only.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any
from urllib.parse import quote

import pandas as pd
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined

from fcsim.model.access import ROLE_LABELS, Permission, UserRole, may
from fcsim.model.activities import ACTIVITY_LABELS, Activity
from fcsim.model.control_points import SEED_CONTROL_POINTS
from fcsim.model.indicators import INDICATORS
from fcsim.model.taxonomy import SOURCE_LABELS, Source, default_taxonomy
from fcsim.model.timezone import tz_name

__all__ = ["STATE_LABELS", "make_environment", "render", "render_error"]

#: Bilingual labels of a running clock's state and of a clock instance's status.
STATE_LABELS: dict[str, tuple[str, str]] = {
    "running": ("計時中", "running"),
    "about_to_breach": ("不足一分鐘", "under a minute left"),
    "breached": ("已超時", "breached"),
    "met": ("達標", "met"),
    "missing": ("缺失", "missing"),
    "censored": ("進行中", "open"),
}
_TAXONOMY = default_taxonomy()


def _bi(pair: tuple[str, str] | None, fallback: str) -> str:
    return f"{pair[0]} {pair[1]}" if pair else fallback


def activity_label(name: object) -> str:
    """``到場 arrived on site``."""
    try:
        return _bi(ACTIVITY_LABELS[Activity(str(name))], str(name))
    except ValueError:
        return str(name)


def clock_label(name: object) -> str:
    """``到場 on site``."""
    spec = SEED_CONTROL_POINTS.specs.get(str(name))
    return f"{spec.label_zh} {spec.label_en}" if spec else str(name)


def category_label(name: object) -> str:
    """``工程 engineering`` (the name itself for a category outside the default taxonomy)."""
    if str(name) in _TAXONOMY:
        c = _TAXONOMY[str(name)]
        return f"{c.label_zh} {c.label_en}"
    return str(name)


def source_label(name: object) -> str:
    try:
        return _bi(SOURCE_LABELS[Source(str(name))], str(name))
    except ValueError:
        return str(name)


def indicator_label(name: object) -> str:
    spec = INDICATORS.get(str(name))
    return f"{spec.label_zh} {spec.label_en}" if spec else str(name)


def role_label(name: object) -> str:
    try:
        return _bi(ROLE_LABELS[UserRole(str(name))], str(name))
    except ValueError:
        return str(name)


def duration(seconds: object) -> str:
    """``4:05``, ``1:02:03``; negative as ``−4:05``; empty for None."""
    if seconds is None or (isinstance(seconds, float) and seconds != seconds):
        return ""
    s = float(seconds)  # type: ignore[arg-type]
    sign = "−" if s < 0 else ""
    total = int(abs(s))
    h, rem = divmod(total, 3600)
    m, sec = divmod(rem, 60)
    return f"{sign}{h}:{m:02d}:{sec:02d}" if h else f"{sign}{m}:{sec:02d}"


def percent(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return f"{float(value) * 100:.1f} %"  # type: ignore[arg-type]


def make_environment(tz: tzinfo) -> Environment:
    """The pages' Jinja2 environment, with times shown in the site's zone ``tz``."""

    def local(value: object, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
        if value is None or value is pd.NaT:
            return ""
        ts = pd.Timestamp(value)
        if ts.tzinfo is None:
            return str(value)
        return ts.to_pydatetime().astimezone(tz).strftime(fmt)

    def epoch_ms(value: object) -> str:
        if value is None or value is pd.NaT:
            return ""
        return str(int(pd.Timestamp(value).timestamp() * 1000))

    env = Environment(loader=PackageLoader("fcsim.web", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(local=local, epoch_ms=epoch_ms, activity=activity_label,
                       pathseg=lambda v: quote(str(v), safe=""),
                       clock=clock_label, category=category_label, source=source_label,
                       indicator=indicator_label, role=role_label, duration=duration,
                       percent=percent,
                       state=lambda s: _bi(STATE_LABELS.get(str(s)), str(s)))
    env.globals.update(tz_name=tz_name(tz), Permission=Permission)
    return env


def render(request: Request, template: str, status: int = 200, **values: Any) -> HTMLResponse:
    """Render a page for the request's caller (if any) with ``values``."""
    ctx = request.app.state.web
    caller = getattr(request.state, "principal", None)
    user = caller.user if caller else None
    perms = {p for p in Permission if user is not None and may(user.role, p)}
    now: datetime = values.pop("now", None) or ctx.now()
    html = ctx.templates.get_template(template).render(
        user=user, csrf=caller.csrf if caller else "", perms=perms, now=now,
        poll_ms=int(ctx.settings.poll_s * 1000), margin_ms=int(ctx.settings.margin_s * 1000),
        path=request.url.path, **values)
    return HTMLResponse(html, status_code=status)


def render_error(request: Request, status: int, message: str) -> HTMLResponse:
    """A page saying what was refused and why (the message is escaped like any value)."""
    return render(request, "error.html", status=status, status_code=status, message=message)
