"""``fcsim record``: record real tickets, correct them, see open clocks, export and import.

Subcommands: site, open, event, close, correct, show, status, export, import. The store is
``--db URL`` (default ``$FCSIM_RECORD_DB`` or ``sqlite:///fcsim-records.sqlite``).
``site --tz Asia/Shanghai [--control-points FILE]`` sets the site's time zone and bounds
(``site`` alone shows them); ``status`` and ``export`` use them.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

__all__ = ["format_report", "register"]

_BOOL = {"yes": True, "true": True, "y": True, "1": True,
         "no": False, "false": False, "n": False, "0": False}


def _yes_no(text: str) -> bool:
    try:
        return _BOOL[text.strip().lower()]
    except KeyError:
        raise argparse.ArgumentTypeError(f"{text!r} is not yes/no") from None


def _facts_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("ticket facts known at this step")
    g.add_argument("--materials")
    g.add_argument("--charge", type=float)
    g.add_argument("--satisfied", type=_yes_no, metavar="yes|no")
    g.add_argument("--charge-confirmed", type=_yes_no, metavar="yes|no")
    g.add_argument("--record-accurate", type=_yes_no, metavar="yes|no")
    g.add_argument("--recognised-correctly", type=_yes_no, metavar="yes|no")


def _facts(args: argparse.Namespace) -> dict[str, Any]:
    keys = ("materials", "charge", "satisfied", "charge_confirmed", "record_accurate",
            "recognised_correctly")
    return {k: getattr(args, k) for k in keys if getattr(args, k) is not None}


def register(subparsers: Any) -> None:
    """Add ``record`` and its subcommands to the ``fcsim`` parser."""
    rec = subparsers.add_parser("record", help="record real tickets; import other logs",
                                description=__doc__)
    rec.add_argument("--db", default=os.environ.get("FCSIM_RECORD_DB",
                                                    "sqlite:///fcsim-records.sqlite"),
                     help="SQLAlchemy URL of the store (default: %(default)s)")
    sub = rec.add_subparsers(dest="record_command", metavar="ACTION", required=True)

    p = sub.add_parser("site", help="set or show the site's time zone and control points")
    p.add_argument("--tz", "--utc-offset", dest="tz", metavar="ZONE",
                   help="the site's IANA time zone (Asia/Shanghai; +08:00 and 8 accepted)")
    p.add_argument("--control-points", type=Path, metavar="FILE",
                   help="TOML/JSON bounds file (the shape fcsim kpi --control-points reads)")
    p.add_argument("--by")
    p.set_defaults(func=_site)

    p = sub.add_parser("open", help="open a ticket (intake) with its received event")
    p.add_argument("ticket_id")
    p.add_argument("--category", required=True)
    p.add_argument("--at", required=True, help="receipt time, ISO 8601 with offset")
    p.add_argument("--emergency", action="store_true")
    p.add_argument("--mode", choices=["immediate", "appointment"], default="immediate")
    p.add_argument("--appointment-at")
    p.add_argument("--booked-at")
    for name in ("source", "location", "content", "contact", "phone", "department",
                 "resource"):
        p.add_argument(f"--{name}")
    p.add_argument("--role", default="desk")
    p.add_argument("--by")
    p.set_defaults(func=_open)

    p = sub.add_parser("event", help="append one event (checked against the lifecycle)")
    p.add_argument("ticket_id")
    p.add_argument("activity")
    p.add_argument("--at", required=True, help="completion time, ISO 8601 with offset")
    p.add_argument("--started-at")
    p.add_argument("--resource")
    p.add_argument("--role")
    p.add_argument("--attempt", type=int)
    p.add_argument("--by")
    _facts_args(p)
    p.set_defaults(func=_event)

    p = sub.add_parser("close", help="close a ticket")
    p.add_argument("ticket_id")
    p.add_argument("--at", required=True)
    p.add_argument("--resource")
    p.add_argument("--role", default="desk")
    p.add_argument("--by")
    _facts_args(p)
    p.set_defaults(func=_close)

    p = sub.add_parser("correct", help="void or amend an event (--seq) or a ticket")
    p.add_argument("ticket_id")
    act = p.add_mutually_exclusive_group(required=True)
    act.add_argument("--void", action="store_true")
    act.add_argument("--amend", nargs="+", metavar="FIELD=VALUE")
    p.add_argument("--seq", type=int, help="the event to correct (omit: the ticket)")
    p.add_argument("--by", required=True)
    p.add_argument("--reason", required=True)
    p.add_argument("--when", help="when the correction was made (default: now)")
    p.set_defaults(func=_correct)

    p = sub.add_parser("show", help="a ticket's facts, events and corrections")
    p.add_argument("ticket_id")
    p.set_defaults(func=_show)

    p = sub.add_parser("status", help="open tickets with their running clocks")
    p.add_argument("--as-of", required=True, help="ISO 8601 instant with offset")
    p.add_argument("--margin-s", type=float, default=60.0,
                   help="'about to breach' margin in seconds (default %(default)s)")
    p.set_defaults(func=_status)

    p = sub.add_parser("export", help="write the standard event log")
    p.add_argument("--out", type=Path, dest="out_dir", metavar="DIR",
                   help="output directory")
    p.add_argument("out", type=Path, nargs="?", default=None, metavar="DIR",
                   help="deprecated: use --out DIR (kept for one release)")
    p.add_argument("--anonymise", action="store_true",
                   help="keyed pseudonyms for contact, phone, location and staff; phone "
                        "numbers, e-mails and names scrubbed from free text")
    p.add_argument("--drop-free-text", action="store_true",
                   help="with --anonymise: empty content and materials instead of scrubbing")
    p.add_argument("--format", choices=["csv.gz", "csv", "parquet"], default="csv.gz")
    p.set_defaults(func=_export)

    p = sub.add_parser("import", help="import a CSV/Excel export (or an fcsim log directory)")
    p.add_argument("file", type=Path)
    p.add_argument("--mapping", help="mapping TOML, or a built-in name: helpdesk, bpic14 "
                                     "(omit for an fcsim log directory)")
    p.add_argument("--tickets", type=Path, help="case table (overrides the mapping's)")
    p.add_argument("--policy", choices=("fail", "quarantine"),
                   help="a ticket that breaks the lifecycle or a data-quality rule: refuse the "
                        "whole import, or quarantine the ticket (default: the mapping's; "
                        "fail for a log directory)")
    p.add_argument("--report", type=Path, metavar="FILE.json",
                   help="write the data-quality report (counts by reason) as JSON")
    p.add_argument("--by")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=_import)


def _recorder(args: argparse.Namespace) -> Any:
    from fcsim.recorder import Recorder

    return Recorder(args.db)


def _site(args: argparse.Namespace) -> int:
    rec = _recorder(args)
    if args.tz is not None or args.control_points is not None:
        data = None
        if args.control_points is not None:
            from fcsim.kpi.bounds import read_bounds_file

            data = read_bounds_file(args.control_points)  # names the file and bound at fault
        site = rec.set_site(time_zone=args.tz, control_points=data, by=args.by)
    else:
        site = rec.site()
    print(f"time zone: {site.time_zone or '(not set: UTC)'}")
    cp = site.control_points()
    if cp is None:
        print("control points: (not set: the seed's)")
    else:
        print("control points (lower_s, upper_s; empty = no bound):")
        for clock, b in cp.to_dict().items():
            print(f"  {clock}: {_side(b['lower_s'])}, {_side(b['upper_s'])}")
        for clock, ov in cp.overrides_dict().items():
            for cat, b in ov.get("category", {}).items():
                print(f"  {clock} [category {cat}]: {_side(b['lower_s'])}, "
                      f"{_side(b['upper_s'])}")
            if "emergency" in ov:
                b = ov["emergency"]
                print(f"  {clock} [emergency]: {_side(b['lower_s'])}, {_side(b['upper_s'])}")
    return 0


def _side(v: float | None) -> str:
    return "" if v is None else f"{v:g}"


def _open(args: argparse.Namespace) -> int:
    rec = _recorder(args)
    rec.open_ticket(
        args.ticket_id, category=args.category, received_at=args.at, emergency=args.emergency,
        mode=args.mode, source=args.source, booked_at=args.booked_at,
        appointment_at=args.appointment_at, location=args.location, content=args.content,
        contact=args.contact, phone=args.phone, department=args.department,
        resource=args.resource, role=args.role, by=args.by,
    )
    print(f"opened {args.ticket_id}")
    return 0


def _event(args: argparse.Namespace) -> int:
    seq = _recorder(args).append(
        args.ticket_id, args.activity, args.at, started_at=args.started_at,
        resource=args.resource, role=args.role, attempt=args.attempt, facts=_facts(args),
        by=args.by,
    )
    print(f"{args.ticket_id}: {args.activity} appended (seq {seq})")
    return 0


def _close(args: argparse.Namespace) -> int:
    seq = _recorder(args).close(args.ticket_id, args.at, resource=args.resource,
                                role=args.role, facts=_facts(args), by=args.by)
    print(f"{args.ticket_id}: closed (seq {seq})")
    return 0


def _value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _correct(args: argparse.Namespace) -> int:
    changes: dict[str, Any] = {}
    for item in args.amend or []:
        if "=" not in item:
            raise ValueError(f"--amend {item!r}: expected FIELD=VALUE")
        key, _, val = item.partition("=")
        changes[key] = _value(val)
    cid = _recorder(args).correct(
        args.ticket_id, action="void" if args.void else "amend", seq=args.seq,
        changes=changes or None, by=args.by, reason=args.reason, at=args.when,
    )
    print(f"{args.ticket_id}: correction {cid} recorded")
    return 0


def _show(args: argparse.Namespace) -> int:
    import pandas as pd

    view = _recorder(args).show(args.ticket_id)
    print(f"ticket {args.ticket_id}")
    for k, v in view.ticket.items():
        if k not in ("tid",) and v is not None:
            print(f"  {k}: {v}")
    with pd.option_context("display.width", 160, "display.max_columns", 20):
        print("\nevents:")
        print(view.events.to_string(index=False))
        if len(view.corrections):
            print("\ncorrections:")
            print(view.corrections.to_string(index=False))
    return 0


def _status(args: argparse.Namespace) -> int:
    import pandas as pd

    table = _recorder(args).status(args.as_of, margin_s=args.margin_s)
    if len(table) == 0:
        print("no open clocks")
        return 0
    with pd.option_context("display.width", 160, "display.max_columns", 20):
        print(table.to_string(index=False))
    return 0


def _export_dir(args: argparse.Namespace) -> Path:
    """``--out DIR``, or the deprecated positional ``DIR`` (with a warning)."""
    if args.out_dir is not None and args.out is not None and args.out_dir != args.out:
        raise ValueError(f"two output directories given: --out {args.out_dir} and {args.out}")
    if args.out_dir is not None:
        return Path(args.out_dir)
    if args.out is None:
        raise ValueError("say where to write: fcsim record export --out DIR")
    logging.getLogger("fcsim.cli").warning(
        "'fcsim record export DIR' is deprecated and goes in the next release: "
        "use 'fcsim record export --out %s'", args.out)
    return Path(args.out)


def _export(args: argparse.Namespace) -> int:
    from fcsim.eventlog import write_log

    out = _export_dir(args)
    log = _recorder(args).export(anonymise=args.anonymise, drop_free_text=args.drop_free_text)
    write_log(log, out, fmt=args.format)
    print(f"wrote {len(log.tickets)} tickets, {len(log.events)} events to {out}")
    return 0


def format_report(report: Any) -> str:
    """The data-quality report of an import as text."""
    lines = [f"import of {report.source}" + (f" (mapping {report.mapping})"
                                             if report.mapping else "")]
    lines.append(f"  rows read: {report.rows_read}")
    if report.import_id:
        lines.append(f"  loaded: {report.tickets_loaded} tickets, {report.events_loaded} "
                     f"events (import id {report.import_id})")
    else:
        lines.append("  loaded: nothing (the import was refused)")
    for code, r in report.reasons.items():
        n = ", ".join(x for x in (f"{r['rows']} row(s)" if r["rows"] else "",
                                  f"{r['tickets']} ticket(s)" if r["tickets"] else "") if x)
        lines.append(f"  {code}: {n} — {r['action']}")
    for title, data in (("ignored source activities", report.ignored),
                        ("duplicates dropped (keep rule)", report.dropped),
                        ("synthesised", report.synthesised)):
        if data:
            lines.append(f"  {title}: " + ", ".join(f"{k} {v}" for k, v in data.items()))
    q = report.quarantine_counts()
    lines.append(f"  quarantined: {len(report.quarantined_tickets)} tickets"
                 + (" — " + ", ".join(f"{c} {n}" for c, n in q.items()) if q else ""))
    for code in q:
        first = next(x for x in report.quarantined if x.code == code)
        lines.append(f"    e.g. {first.ticket_id}: {first.message}")
    lines.append("  measurable:")
    for m in report.measurable:
        mark = "yes" if m.measurable else "NO "
        lines.append(f"    [{mark}] {m.kind:9s} {m.name:20s} {m.reason}")
    for note in report.notes:
        lines.append(f"  note: {note}")
    return "\n".join(lines)


def _write_report(path: Path | None, report: Any) -> None:
    if path is None:
        return
    from dataclasses import asdict

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(asdict(report), default=str, indent=1) + "\n", encoding="utf-8")


def _no_huge_pages() -> None:
    """Ask numpy (before it loads, unless the user chose) not to back large arrays with
    transparent huge pages: an import makes and frees many arrays of a million rows, and the
    kernel's zeroing of fresh 2 MiB pages cost it more system time than they saved (about 2 s
    of 15 on a 500,000-row file). ``NUMPY_MADVISE_HUGEPAGE`` is numpy's documented switch."""
    if "numpy" not in sys.modules:
        os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")


def _import(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    _no_huge_pages()
    from fcsim.recorder import ImportFailed

    rec = _recorder(args)
    try:
        if args.mapping is None:
            if not args.file.is_dir():
                raise ValueError(f"{args.file}: give --mapping, or an fcsim log directory")
            from fcsim.eventlog import read_log

            report = rec.import_eventlog(read_log(args.file), source=str(args.file),
                                         by=args.by, default_policy=args.policy or "fail")
        else:
            report = rec.import_log(args.file, args.mapping, tickets_path=args.tickets,
                                    by=args.by, policy=args.policy)
    except ImportFailed as exc:
        print(f"fcsim record import: refused: {exc}", file=sys.stderr)
        print(format_report(exc.report), file=sys.stderr)
        _write_report(args.report, exc.report)
        return 2
    _write_report(args.report, report)
    if args.json:
        print(json.dumps(asdict(report), default=str, indent=1))
    else:
        print(format_report(report))
    return 0
