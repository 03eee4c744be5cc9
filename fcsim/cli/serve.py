"""``fcsim serve --db URL``: the front desk on the web (needs the ``web`` extra).

Serves the desk board, tickets, the technician, supervisor and manager views and the JSON API
(OpenAPI at ``/api/docs``) over the recorder's store: SQLite by default (one desk), PostgreSQL
for several desks. Create accounts first with ``fcsim users``.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from fcsim.cli._args import positive_float, positive_int

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add ``serve`` to the ``fcsim`` parser."""
    p = subparsers.add_parser("serve", help="the front desk on the web (pages and JSON API)",
                              description=__doc__)
    p.add_argument("--db", default=os.environ.get("FCSIM_RECORD_DB",
                                                  "sqlite:///fcsim-records.sqlite"),
                   help="SQLAlchemy URL of the store (default: %(default)s)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (%(default)s)")
    p.add_argument("--port", type=int, default=8000, help="port (%(default)s)")
    p.add_argument("--tz", "--utc-offset", dest="tz", default=None, metavar="ZONE",
                   help="the site's time zone for the pages: an IANA name (Asia/Shanghai), "
                        "an offset (+08:00) or hours (default: the store's site zone, "
                        "fcsim record site --tz; else UTC)")
    p.add_argument("--poll-s", type=float, default=5.0,
                   help="how often open pages refresh their clocks (default %(default)s s)")
    p.add_argument("--secure-cookies", action="store_true",
                   help="mark the session cookie Secure (when served over HTTPS)")
    p.add_argument("--scenario", default=None, metavar="SCENARIO",
                   help="a shipped scenario name or TOML file: the board then shows each "
                        "clock's breach risk, forecast by simulating forward from the open "
                        "tickets (fcsim nowcast)")
    p.add_argument("--forecast-horizon-min", type=positive_float, default=120.0,
                   help="the risk is of a breach within this many minutes (%(default)s)")
    p.add_argument("--forecast-replications", type=positive_int, default=100,
                   help="forward runs per forecast (%(default)s)")
    p.add_argument("--forecast-every-s", type=positive_float, default=60.0,
                   help="a forecast is reused for this many seconds (%(default)s)")
    p.add_argument("--workers", type=positive_int, default=1,
                   help="server processes (default %(default)s; more than one pays off on "
                        "PostgreSQL and a machine with cores to spare)")
    p.set_defaults(func=_serve)


def _serve(args: argparse.Namespace) -> int:
    try:
        import uvicorn
    except ImportError:
        raise ValueError("fcsim serve needs the web extra: pip install 'fcsim[web]'") from None
    from fcsim.model.timezone import parse_tz
    from fcsim.web import WebSettings, create_app

    if args.tz is None:  # the store's site zone, else UTC
        from fcsim.recorder import Recorder

        rec = Recorder(args.db)
        try:
            args.tz = rec.site().time_zone or "UTC"
        finally:
            rec.close_connections()
    tz = parse_tz(args.tz)
    print(f"fcsim front desk on http://{args.host}:{args.port}/ (store {_safe(args.db)}, "
          f"time zone {args.tz}); Ctrl-C stops it", flush=True)
    forecast = None
    if args.scenario is not None:
        from fcsim.scenarios import load_scenario
        from fcsim.web.forecast import BoardForecast

        forecast = BoardForecast(load_scenario(args.scenario),
                                 horizon_min=args.forecast_horizon_min,
                                 replications=args.forecast_replications,
                                 refresh_s=args.forecast_every_s)
    if args.workers == 1:
        app = create_app(args.db, WebSettings(tz=tz, poll_s=args.poll_s,
                                              secure_cookies=args.secure_cookies,
                                              forecast=forecast))
        uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
        return 0
    from fcsim.web.app import ENV_PREFIX
    from fcsim.web.app import create_app as _check

    _check(args.db).state.web.recorder.close_connections()  # the store opens; schema exists
    os.environ.update({ENV_PREFIX + "DB": args.db, ENV_PREFIX + "TZ": args.tz,
                       ENV_PREFIX + "POLL_S": str(args.poll_s),
                       ENV_PREFIX + "SECURE_COOKIES": "1" if args.secure_cookies else "0"})
    if args.scenario is not None:
        os.environ.update({ENV_PREFIX + "SCENARIO": args.scenario,
                           ENV_PREFIX + "FORECAST": f"{args.forecast_horizon_min},"
                           f"{args.forecast_replications},{args.forecast_every_s}"})
    uvicorn.run("fcsim.web.app:from_environment", factory=True, workers=args.workers,
                host=args.host, port=args.port, log_level="warning")
    return 0


def _safe(url: str) -> str:
    """The store URL without its password, if it has one."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
