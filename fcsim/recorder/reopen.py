"""A source's history as passes: reopens become a ``rejected`` and a second attempt, and a
closed case id that comes back after a long gap becomes another ticket.

The source's rows of one case, in time order, are walked once (only the cases that can hold a
reopen are walked; the others are one pass of one ticket):

* a ``rejected`` (a source "Reopen" mapped onto it) ends its attempt; the next event opens the
  next attempt;
* work after a resolution (``work_completed`` followed by anything but an acceptance decision,
  a slip, a callback or the close — another dispatch, another resolution) is a state going
  back from resolved: a ``rejected`` is synthesised at that instant, unless the source logs
  one at the same instant, and the event opens the next attempt;
* events after a ``closed``: within ``reuse_gap`` the close was provisional (it is dropped and
  counted) and the ticket is reopened as above; after a longer gap the case id is re-used by
  another ticket — the rest of the case is split off into a new ticket (``split``; its id gets
  ``~2``, ``~3`` …) or the case is quarantined (``quarantine``). A ``sample_callback`` or
  another ``closed`` (a repeated close, left to the mapping's keep rule) after a close is
  neither.

Neutral rows (source activities the mapping ignores) take the pass and ticket of their
position; they are kept only for the receipt a mapping synthesises at a ticket's first row.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["RESUMING_EXEMPT", "Passes", "candidate_tickets", "walk_passes"]

#: Activities that may follow a resolution without reopening the ticket.
RESUMING_EXEMPT = frozenset({
    "accepted", "rejected", "slip_returned", "callback", "callback_failed", "closed",
    "sample_callback", "signed", "preempted", "resumed", "handed_over", "taken_over",
})


@dataclass
class Passes:
    """The result of :func:`walk_passes` over events in case and time order.

    ``attempt`` and ``part`` (0 = the case's own ticket, k = its k-th re-use) per event,
    ``drop`` (a provisional close), ``synth`` — one (position, part, attempt) per synthesised
    ``rejected``, which sorts just before the event at ``position`` — the cases to quarantine
    (``reused``) and the counts of reopens and re-uses.
    """

    attempt: np.ndarray
    part: np.ndarray
    drop: np.ndarray
    synth: list[tuple[int, int, int]] = field(default_factory=list)
    quarantined: set[str] = field(default_factory=set)
    reopens: int = 0
    reopened_tickets: set[str] = field(default_factory=set)
    provisional_closes: int = 0
    reuses: int = 0
    reused_cases: set[str] = field(default_factory=set)


def candidate_tickets(case: np.ndarray, act: np.ndarray) -> np.ndarray:
    """Per event, whether its case can hold a reopen or a re-use (an explicit ``rejected``,
    a mapped event after a ``closed``, or work after a ``work_completed``)."""
    n = len(case)
    if n == 0:
        return np.zeros(0, dtype=bool)
    new = np.r_[True, case[1:] != case[:-1]]
    grp = np.cumsum(new) - 1
    is_close = act == "closed"
    is_wc = act == "work_completed"
    codes, names = pd.factorize(pd.Series(act, dtype=object))  # -1: None (a neutral row)
    mapped = codes >= 0
    exempt = ~mapped | np.isin(codes, [k for k, a in enumerate(names) if a in RESUMING_EXEMPT])

    def before(mask: np.ndarray) -> np.ndarray:
        c = np.cumsum(mask)
        start = c[np.flatnonzero(new)][grp] - mask[np.flatnonzero(new)][grp]
        return (c - mask) - start > 0

    hit = (act == "rejected") | (mapped & ~is_close & (act != "sample_callback")
                                 & before(is_close)) | (~exempt & before(is_wc))
    per_case = np.zeros(grp[-1] + 1, dtype=bool)
    np.logical_or.at(per_case, grp, hit)
    return per_case[grp]


def walk_passes(case: np.ndarray, act: np.ndarray, ts_ms: np.ndarray, *,
                candidates: np.ndarray, reuse_gap_ms: float, reused: str,
                after_resolution: bool, after_close: bool) -> Passes:
    """Attempts and tickets of events sorted by case, time and tie order.

    ``act`` holds the mapped activity of each event (None for a neutral row); ``candidates``
    (:func:`candidate_tickets`) selects the cases walked; the others are attempt 1, part 0.
    """
    n = len(case)
    out = Passes(attempt=np.ones(n, dtype=np.int64), part=np.zeros(n, dtype=np.int64),
                 drop=np.zeros(n, dtype=bool))
    idx = np.flatnonzero(candidates)
    if idx.size == 0:
        return out
    cuts = np.flatnonzero(np.r_[True, case[idx][1:] != case[idx][:-1]])
    bounds = np.r_[cuts, idx.size]
    for k in range(len(cuts)):
        _walk(out, idx[bounds[k]:bounds[k + 1]], case, act, ts_ms, reuse_gap_ms, reused,
              after_resolution, after_close)
    return out


def _walk(out: Passes, pos: np.ndarray, case: np.ndarray, act: np.ndarray, ts: np.ndarray,
          gap_ms: float, reused: str, after_resolution: bool, after_close: bool) -> None:
    attempt, part = 1, 0
    last_close = -1
    resolved = False
    taken: set[int] = set()  # explicit rejected moved before a reopening event
    cid = str(case[pos[0]])
    pl = pos.tolist()

    def reopen(j: int) -> None:
        nonlocal attempt, resolved
        same = [q for q in pl[pl.index(j):] if ts[q] == ts[j] and act[q] == "rejected"
                and q not in taken and q != j]
        if act[j] == "rejected":
            return  # the event itself is the reopen (counted below)
        if same:
            taken.add(same[0])
            out.attempt[same[0]], out.part[same[0]] = attempt, part
        else:
            out.synth.append((j, part, attempt))
        count()
        attempt += 1
        resolved = False

    def count() -> None:
        out.reopens += 1
        out.reopened_tickets.add(cid if part == 0 else f"{cid}~{part + 1}")

    for j in pl:
        a = act[j]
        if j in taken:
            continue
        if a is not None and a not in ("sample_callback", "closed") and last_close >= 0:
            if ts[j] - ts[last_close] > gap_ms:
                out.reuses += 1
                out.reused_cases.add(cid)
                if reused == "quarantine":
                    out.quarantined.add(cid)
                part, attempt, resolved = part + 1, 1, False
            elif after_close:
                out.drop[last_close] = True
                out.provisional_closes += 1
                reopen(j)
            last_close = -1
        elif after_resolution and resolved and a is not None and a not in RESUMING_EXEMPT:
            reopen(j)
        out.attempt[j], out.part[j] = attempt, part
        if a == "rejected":
            count()
            attempt += 1
            resolved = False
        elif a == "work_completed":
            resolved = True
        elif a == "accepted":
            resolved = False
        elif a == "closed":
            last_close = j
