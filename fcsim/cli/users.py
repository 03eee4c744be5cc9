"""``fcsim users``: the people who record tickets (needs the ``web`` extra).

``add NAME --role R`` reads the password from stdin (one line; nothing is echoed or logged),
``token NAME`` prints a new API token alone on the last line of stdout (it is shown once; the
store keeps only its hash), ``disable NAME`` stops the account's password, tokens and
sessions at once, ``list`` shows the accounts.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from fcsim.model.access import UserRole

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add ``users`` and its subcommands to the ``fcsim`` parser."""
    p = subparsers.add_parser("users", help="accounts: add, token, disable, list",
                              description=__doc__)
    p.add_argument("--db", default=os.environ.get("FCSIM_RECORD_DB",
                                                  "sqlite:///fcsim-records.sqlite"),
                   help="SQLAlchemy URL of the store (default: %(default)s)")
    sub = p.add_subparsers(dest="users_command", metavar="ACTION", required=True)
    a = sub.add_parser("add", help="add an account; the password is read from stdin")
    a.add_argument("name")
    a.add_argument("--role", required=True, choices=[r.value for r in UserRole])
    a.add_argument("--department", help="a technician's department (for 'my jobs')")
    a.set_defaults(func=_add)
    t = sub.add_parser("token", help="print a new API token (last line of stdout)")
    t.add_argument("name")
    t.set_defaults(func=_token)
    d = sub.add_parser("disable", help="disable an account")
    d.add_argument("name")
    d.set_defaults(func=_disable)
    ls = sub.add_parser("list", help="list the accounts")
    ls.set_defaults(func=_list)


def _accounts(args: argparse.Namespace) -> Any:
    from fcsim.recorder import Recorder
    from fcsim.recorder.accounts import Accounts

    return Accounts(Recorder(args.db).engine)


def _add(args: argparse.Namespace) -> int:
    if sys.stdin.isatty():
        print(f"password for {args.name} (one line): ", end="", file=sys.stderr, flush=True)
    password = sys.stdin.readline().rstrip("\r\n")
    user = _accounts(args).add(args.name, args.role, password, department=args.department)
    print(f"added {user.name} ({user.role})")
    return 0


def _token(args: argparse.Namespace) -> int:
    token = _accounts(args).new_token(args.name)
    print(f"new API token for {args.name} (shown once; send it as 'Authorization: Bearer …'):")
    print(token)
    return 0


def _disable(args: argparse.Namespace) -> int:
    _accounts(args).disable(args.name)
    print(f"disabled {args.name}")
    return 0


def _list(args: argparse.Namespace) -> int:
    for u in _accounts(args).users():
        state = "enabled" if u.enabled else "disabled"
        dept = f" [{u.department}]" if u.department else ""
        print(f"{u.name}\t{u.role}{dept}\t{state}")
    return 0
