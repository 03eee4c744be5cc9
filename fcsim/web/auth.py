"""Authentication, roles and CSRF, checked before a route reads its request body.

Every route of the app is a :class:`GuardedRoute` that names what it needs in its
``openapi_extra`` (:func:`guard`, which also shows it in the OpenAPI document). Before FastAPI
parses or validates the body, the guard

1. finds the caller: ``Authorization: Bearer <token>`` on the JSON API, the session cookie on
   pages (401 — or, for a page, a redirect to the login — when there is none or it is wrong;
   the answer never says which);
2. checks the caller's role against the route's permission (403, whatever the body);
3. on the API, checks ``?level=``: ``import`` needs the import-level permission (403);
4. on a form, checks the CSRF token of the session against the form's ``csrf`` field (403).

Only then does the route run, with the caller in ``request.state.principal``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

from fcsim.model.access import Permission, may
from fcsim.recorder.accounts import Session, User, tokens_equal
from fcsim.web.context import WebContext

__all__ = [
    "GUARD_KEY",
    "SESSION_COOKIE",
    "GuardedRoute",
    "Principal",
    "context",
    "guard",
    "principal",
]

logger = logging.getLogger(__name__)

GUARD_KEY = "x-fcsim-guard"
SESSION_COOKIE = "fcsim_session"
Kind = Literal["api", "page", "form", "public"]


@dataclass(frozen=True)
class Principal:
    """The caller of a request: the account and, for a browser, its session's CSRF token."""

    user: User
    csrf: str | None = None


def guard(permission: Permission | None, kind: Kind) -> dict[str, Any]:
    """The ``openapi_extra`` of a route needing ``permission`` (None: any signed-in user)."""
    return {GUARD_KEY: {"permission": None if permission is None else permission.value,
                        "kind": kind}}


def context(request: Request) -> WebContext:
    """The app's :class:`~fcsim.web.context.WebContext`."""
    return request.app.state.web


def principal(request: Request) -> Principal:
    """The caller of a guarded route."""
    return request.state.principal


def api_error(status: int, code: str, message: str, **extra: Any) -> JSONResponse:
    """A JSON error: ``{"error": {"code", "message", ...}}``."""
    return JSONResponse({"error": {"code": code, "message": message, **extra}},
                        status_code=status)


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else ""


async def _find_caller(request: Request, kind: Kind) -> Principal | None:
    ctx = context(request)
    if kind == "api":
        token = _bearer(request)
        if not token:
            return None
        user = await run_in_threadpool(ctx.accounts.user_for_token, token)
        return None if user is None else Principal(user)
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    session: Session | None = await run_in_threadpool(ctx.accounts.session, cookie)
    return None if session is None else Principal(session.user, session.csrf)


def _unauthorised(request: Request, kind: Kind) -> Response:
    if kind == "api":
        return api_error(401, "unauthorised",
                         "a valid API token is needed (Authorization: Bearer <token>)")
    if kind == "page" and request.method == "GET":
        target = quote(request.url.path, safe="/")
        return RedirectResponse(f"/login?next={target}", status_code=303)
    return _page_error(request, 401, "請先登入 Please sign in.")


def _page_error(request: Request, status: int, message: str) -> Response:
    from fcsim.web.render import render_error

    return render_error(request, status, message)


def _forbidden(request: Request, kind: Kind, message: str) -> Response:
    if kind == "api":
        return api_error(403, "forbidden", message)
    return _page_error(request, 403, message)


async def check_access(request: Request, spec: dict[str, Any]) -> Response | None:
    """The refusal of a request (401 / 403), or None when it may go on."""
    kind: Kind = spec["kind"]
    if kind == "public":
        return None
    caller = await _find_caller(request, kind)
    if caller is None:
        return _unauthorised(request, kind)
    perm = spec["permission"]
    if perm is not None and not may(caller.user.role, Permission(perm)):
        logger.info("refused %s %s to %s (%s)", request.method, request.url.path,
                    caller.user.name, caller.user.role)
        return _forbidden(request, kind, f"role {caller.user.role} may not do this "
                                         f"({perm}); 角色無此權限")
    level = request.query_params.get("level")
    if level not in (None, "live") and not may(caller.user.role, Permission.IMPORT_LEVEL):
        return _forbidden(request, kind, f"level={level} is for admin and integration "
                                         "accounts only")
    if kind == "form":
        form = await request.form()
        sent = form.get("csrf")
        if not isinstance(sent, str) or caller.csrf is None or not tokens_equal(sent,
                                                                                caller.csrf):
            return _forbidden(request, kind, "CSRF token missing or wrong; reload the page "
                                             "and try again. 表單已過期，請重新載入。")
    request.state.principal = caller
    return None


class GuardedRoute(APIRoute):
    """An API route whose guard (:func:`guard`) runs before the body is read."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()
        spec = (self.openapi_extra or {}).get(GUARD_KEY)
        if spec is None:
            raise RuntimeError(f"route {self.path} has no guard")

        async def guarded(request: Request) -> Response:
            refusal = await check_access(request, spec)
            if refusal is not None:
                return refusal
            return await original(request)

        return guarded
