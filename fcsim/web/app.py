"""The front desk on the web: the app factory.

FastAPI serves server-rendered Jinja2 pages (a little plain JavaScript polls for the live
clocks; there is no Node build step) and a JSON API with its OpenAPI document at
``/api/openapi.json`` (browsable at ``/api/docs``). Every action goes through the recorder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fcsim import __version__
from fcsim.recorder import Recorder
from fcsim.recorder.accounts import Accounts
from fcsim.recorder.checks import LifecycleError, RecorderError, TicketExists, TicketNotFound
from fcsim.web import api, pages
from fcsim.web.auth import api_error
from fcsim.web.context import WebContext, WebSettings
from fcsim.web.idempotency import IdempotencyError
from fcsim.web.render import make_environment, render_error

__all__ = ["ENV_PREFIX", "create_app", "from_environment"]

#: ``fcsim serve --workers N`` passes its options to each worker process in these variables.
ENV_PREFIX = "FCSIM_SERVE_"

_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cache-control", b"no-store"),
]


class SecurityHeaders:
    """Adds the security headers (and, outside the API docs, the CSP) to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with_csp = not str(scope.get("path", "")).startswith("/api/docs")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in _HEADERS if k not in names]
                if with_csp:
                    headers.append((b"content-security-policy", _CSP.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error(request: Request, status: int, code: str, message: str, **extra: Any) -> Response:
    if _is_api(request):
        return api_error(status, code, message, **extra)
    return render_error(request, status, message)


def _install_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        details = [{"field": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg")}
                   for e in exc.errors()]
        text = "; ".join(f"{d['field']}: {d['message']}" for d in details)
        return _error(request, 422, "invalid_request", text, details=details)

    @app.exception_handler(LifecycleError)
    async def lifecycle(request: Request, exc: LifecycleError) -> Response:
        violations = [{"code": v.code, "seq": v.seq, "message": v.message}
                      for v in exc.violations]
        code = violations[0]["code"] if violations else "lifecycle"
        return _error(request, 422, code, str(exc), violations=violations)

    @app.exception_handler(TicketNotFound)
    async def not_found(request: Request, exc: TicketNotFound) -> Response:
        return _error(request, 404, "not_found", str(exc))

    @app.exception_handler(TicketExists)
    async def exists(request: Request, exc: TicketExists) -> Response:
        return _error(request, 409, "ticket_exists", str(exc))

    @app.exception_handler(IdempotencyError)
    async def idem(request: Request, exc: IdempotencyError) -> Response:
        return _error(request, exc.status, exc.code, str(exc))

    @app.exception_handler(RecorderError)
    async def refused(request: Request, exc: RecorderError) -> Response:
        return _error(request, 422, "invalid_value", str(exc))

    @app.exception_handler(ValueError)
    async def bad_value(request: Request, exc: ValueError) -> Response:
        return _error(request, 422, "invalid_value", str(exc))


def create_app(
    recorder: Recorder | str,
    settings: WebSettings | None = None,
    *,
    accounts: Accounts | None = None,
) -> FastAPI:
    """The web app over a recorder (or a store URL).

    Parameters
    ----------
    recorder:
        The recorder, or the SQLAlchemy URL of its store.
    settings:
        Time zone, clock, polling, cookies, bounds (:class:`~fcsim.web.context.WebSettings`).
    accounts:
        The store's accounts (default: built on the recorder's engine).
    """
    rec = Recorder(recorder) if isinstance(recorder, str) else recorder
    settings = settings or WebSettings()
    ctx = WebContext(recorder=rec, accounts=accounts or Accounts(rec.engine), settings=settings,
                     templates=make_environment(settings.tz))
    app = FastAPI(title="fcsim front desk", version=__version__,
                  description="Record real tickets of the first-contact responsibility "
                              "procedure (首接負責制) with running clocks.",
                  docs_url="/api/docs", redoc_url=None, openapi_url="/api/openapi.json")
    app.state.web = ctx
    app.include_router(api.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"),
              name="static")
    _install_handlers(app)
    app.add_middleware(SecurityHeaders)
    return app



def from_environment() -> FastAPI:
    """The app configured by ``FCSIM_SERVE_DB``, ``_TZ``, ``_POLL_S``, ``_SECURE_COOKIES``,
    ``_SCENARIO`` and ``_FORECAST`` (how ``fcsim serve --workers N`` starts each worker
    process)."""
    import os

    from fcsim.model.timezone import parse_tz

    env = os.environ
    forecast = None
    if env.get(ENV_PREFIX + "SCENARIO"):
        from fcsim.scenarios import load_scenario
        from fcsim.web.forecast import BoardForecast

        horizon, reps, every = env.get(ENV_PREFIX + "FORECAST", "120,100,60").split(",")
        forecast = BoardForecast(load_scenario(env[ENV_PREFIX + "SCENARIO"]),
                                 horizon_min=float(horizon), replications=int(reps),
                                 refresh_s=float(every))
    settings = WebSettings(tz=parse_tz(env.get(ENV_PREFIX + "TZ", "UTC")),
                           poll_s=float(env.get(ENV_PREFIX + "POLL_S", "5")),
                           secure_cookies=env.get(ENV_PREFIX + "SECURE_COOKIES") == "1",
                           forecast=forecast)
    return create_app(env[ENV_PREFIX + "DB"], settings)
