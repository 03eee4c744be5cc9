"""Translate another system's export into a canonical :class:`EventLog` through a mapping.

Reads the event table (and the optional case table) carefully (:mod:`fcsim.recorder.rawfile`),
reads naive times in the mapping's zone — counting times in a daylight-saving gap (shifted
forward by the gap) and in a fold (the first, summer-time reading) — maps activities (dropping
ignored ones, expanding one source activity into several of ours), turns the source's history
into passes and tickets (:mod:`fcsim.recorder.reopen`: reopens become a ``rejected`` and a
second attempt, a re-used case id a new ticket), applies the hand-over rule and keeps the
first or last occurrence per pass where the mapping says so, synthesises ``received`` (and the
``recorded`` of a reopened pass, the ``accepted`` of a close without reopen) where asked,
orders equal timestamps by the mapping's tie order, numbers ``seq`` and builds the tickets
table from columns (several joined), value maps and constants. Errors name the file, the row
and the column; data-quality problems of single tickets are returned as issues for the
importer's policy.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from fcsim.eventlog import EventLog, EventLogError
from fcsim.eventlog.frames import category_objects
from fcsim.eventlog.schema import ACTIVITY_DTYPE, ROLE_DTYPE
from fcsim.model.taxonomy import default_taxonomy
from fcsim.recorder.mapping import Mapping, MappingError
from fcsim.recorder.quality import QualityReport
from fcsim.recorder.rawfile import MissingColumns, read_table, text_issues
from fcsim.recorder.reopen import candidate_tickets, walk_passes

__all__ = ["ISSUE_COLUMNS", "read_source", "translate"]

logger = logging.getLogger(__name__)

#: Columns of the issues table (one row per ticket-level data-quality problem).
ISSUE_COLUMNS = ("ticket_id", "seq", "code", "message")
_SEP = " / "


def read_source(path: Path, m: Mapping, columns: list[str]) -> pd.DataFrame:
    """The named columns of a source file read with the mapping's format and encoding."""
    try:
        return read_table(path, columns, fmt=m.source.format, sheet=m.source.sheet,
                          delimiter=m.source.delimiter, encoding=m.source.encoding,
                          mapping=str(m.path or m.name))
    except MissingColumns as exc:
        raise MappingError(str(exc)) from None


def _timestamps(values: pd.Series, m: Mapping, where: str,
                report: QualityReport | None = None) -> pd.Series:
    fmt = m.source.timestamp_format
    try:
        parsed = pd.to_datetime(values, format=fmt or "ISO8601", errors="raise")
    except (ValueError, TypeError, OverflowError):
        bad = pd.to_datetime(values, format=fmt or "ISO8601", errors="coerce").isna()
        bad &= values.notna()
        row = int(np.argmax(bad.to_numpy()))
        raise EventLogError(
            f"{where}, row {row + 2}: {values.iloc[row]!r} does not match the timestamp format "
            f"{fmt or 'ISO 8601'} (mapping {m.path or m.name}, source.timestamp_format)"
        ) from None
    if getattr(parsed.dt, "tz", None) is None:
        zone = m.source.timezone
        if report is not None and zone != "UTC":
            gap = parsed.dt.tz_localize(zone, ambiguous="NaT", nonexistent="NaT").isna()
            gap &= parsed.notna()
            if gap.any():
                fwd = parsed[gap].dt.tz_localize(zone, ambiguous="NaT", nonexistent="shift_forward")
                fold = fwd.notna().to_numpy()
                n_gap, n_fold = int((~fold).sum()), int(fold.sum())
                if n_gap:
                    report.count("dst_gap", rows=n_gap,
                                 action=f"a time that does not exist in {zone} (the clocks "
                                        "went forward): shifted forward by the gap")
                if n_fold:
                    report.count("dst_fold", rows=n_fold,
                                 action=f"a time that occurs twice in {zone} (the clocks went "
                                        "back): read as the first (summer-time) instant")
        parsed = parsed.dt.tz_localize(
            zone, ambiguous=np.ones(len(parsed), dtype=bool), nonexistent="shift_forward")
    return parsed.dt.tz_convert("UTC").astype("datetime64[ms, UTC]")


def _keep_source(tickets: pd.Series, src: pd.Series, ts: pd.Series, m: Mapping,
                 report: QualityReport) -> np.ndarray:
    """Rows dropped by the mapping's ``keep_source`` rules (first / last per case)."""
    drop = np.zeros(len(src), dtype=bool)
    if not m.keep_source:
        return drop
    frame = pd.DataFrame({"t": tickets.to_numpy(), "ts": ts.to_numpy(), "a": src.to_numpy(),
                          "i": np.arange(len(src))}).sort_values(["t", "ts"], kind="stable")
    for act, rule in m.keep_source.items():
        if rule == "all":
            continue
        sub = frame[frame["a"] == act]
        pos = sub.groupby("t").cumcount(ascending=(rule == "first")).to_numpy()
        extra = sub["i"].to_numpy()[pos > 0]
        if len(extra):
            report.dropped[f"{act} (source)"] = len(extra)
            drop[extra] = True
    return drop


_NAT = np.iinfo(np.int64).min


def _ms(ts: pd.Series) -> np.ndarray:
    """UTC milliseconds of a tz-aware series (``_NAT`` where missing)."""
    arr = ts.to_numpy(dtype="datetime64[ms]")
    out = arr.astype(np.int64)
    out[np.isnat(arr)] = _NAT
    return out


def _text(values: pd.Series) -> np.ndarray:
    """A column's values as Python strings in an object array (no Arrow round trip)."""
    arr = values.to_numpy(dtype=object)
    if pd.api.types.infer_dtype(arr, skipna=False) == "string":
        return arr
    return np.array([str(v) for v in arr], dtype=object)


def _objects(values: pd.Series) -> pd.Series:
    """A column as an object Series with None for missing values."""
    return pd.Series(values.to_numpy(dtype=object, na_value=None), dtype=object)


#: The contract's activities: an activity column is carried as this categorical (codes, not
#: strings, through the sorts, takes and concatenations of the translation).
_ACT_CODE = {a: k for k, a in enumerate(ACTIVITY_DTYPE.categories)}


def _act_col(codes: np.ndarray) -> pd.Categorical:
    """The activity column of ``codes`` (positions in the contract's list; -1: none)."""
    return pd.Categorical.from_codes(np.asarray(codes, dtype=np.int64), dtype=ACTIVITY_DTYPE)


def _act_const(activity: str, n: int) -> pd.Categorical:
    """``n`` times one activity."""
    return _act_col(np.full(n, _ACT_CODE[activity], dtype=np.int64))


def _category(values: pd.Series) -> pd.Categorical:
    """A text column as a categorical of its sorted distinct values (objects, no Arrow)."""
    codes, uniq = pd.factorize(values.to_numpy(dtype=object), sort=True)
    return pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(
        pd.Index(np.asarray(uniq, dtype=object), dtype=object)))


def _nulls_like(values: pd.Series | None, n: int) -> pd.Categorical | None:
    """``n`` empty values for a column like ``values`` (a categorical stays one)."""
    if values is not None and isinstance(values.dtype, pd.CategoricalDtype):
        return pd.Categorical.from_codes(np.full(n, -1, dtype=np.int64), dtype=values.dtype)
    return None


def _dt(ms: np.ndarray) -> pd.Series:
    """``datetime64[ms, UTC]`` from UTC milliseconds (``_NAT``: missing)."""
    arr = np.asarray(ms, dtype=np.int64).astype("datetime64[ms]")
    return pd.Series(arr).dt.tz_localize("UTC")


def _mapped(raw: pd.DataFrame, m: Mapping, path: Path, report: QualityReport
            ) -> tuple[pd.DataFrame, dict[str, list[str] | None]]:
    """One row per source row: case, source activity, times (UTC ms), resource, role."""
    c = m.columns
    for fld in ("ticket_id", "activity", "timestamp"):
        col = getattr(c, fld)
        empty = raw[col].isna().to_numpy()
        if empty.any():
            raise EventLogError(f"{path}, row {int(np.argmax(empty)) + 2}: {col} ({fld}) is "
                                "empty")
    codes, uniq = pd.factorize(raw[c.activity])
    names = [str(u) for u in uniq]
    targets = {a: m.targets(a) for a in names}
    unmapped = sorted(a for a, t in targets.items() if t is None)
    if unmapped and m.unmapped == "fail":
        raise MappingError(
            f"{m.path or m.name}: activities of {path} neither mapped nor ignored: "
            + ", ".join(repr(a) for a in unmapped)
            + " (add them to [activities] or ignore, or set unmapped = \"ignore\")"
        )
    counts = np.bincount(codes, minlength=len(names))
    for k, a in enumerate(names):
        if not targets[a]:
            report.ignored[a] = int(counts[k])
    if unmapped:
        report.notes.append(f"unmapped activities ignored: {', '.join(unmapped)}")
    ts = _ms(_timestamps(raw[c.timestamp], m, f"{path}: {c.timestamp}", report))
    st = (_ms(_timestamps(raw[c.started_at], m, f"{path}: {c.started_at}", report))
          if c.started_at else np.full(len(raw), _NAT, dtype=np.int64))
    case = _text(raw[c.ticket_id])
    ev = pd.DataFrame({
        "case": pd.Series(case, dtype=object), "src": codes, "ts": ts, "st": st,
        "resource": _category(raw[c.resource]) if c.resource else None,
        "role": (_objects(raw[c.role]) if c.role else  # none: the contract's empty role
                 pd.Categorical.from_codes(np.full(len(raw), -1), dtype=ROLE_DTYPE)),
        "seq_src": (pd.to_numeric(raw[c.seq], errors="coerce").to_numpy()
                    if c.seq else np.zeros(len(raw))),
        **({"attempt_src": raw[c.attempt].to_numpy(dtype=object)} if c.attempt else {}),
        "row": np.arange(len(raw)),
    })
    src_names = pd.Series(np.asarray(names, dtype=object)[codes], dtype=object)
    ev = ev[~_keep_source(pd.Series(case, dtype=object), src_names, pd.Series(ts), m, report)]
    ev.attrs["names"] = names
    return ev, targets


def _expand(ev: pd.DataFrame, targets: dict[str, list[str] | None], m: Mapping) -> pd.DataFrame:
    """One row per target activity (neutral rows keep one row with activity None)."""
    names: list[str] = ev.attrs["names"]
    hand = set(m.handover.sources) if m.handover is not None else set()
    first = list(m.handover.first) if m.handover is not None else []
    lists: list[list[str | None]] = [
        (list(first) if a in hand else (list(targets[a] or []) or [None])) for a in names]
    width = max((len(x) for x in lists), default=1)
    table = np.full((len(names), width), None, dtype=object)
    for k, x in enumerate(lists):
        table[k, :len(x)] = x
    lens = np.array([len(x) for x in lists], dtype=np.int64)
    src = ev["src"].to_numpy()
    reps = lens[src]
    out = ev.iloc[np.repeat(np.arange(len(ev)), reps)].reset_index(drop=True)
    starts = np.cumsum(reps) - reps
    sub = np.arange(len(out)) - np.repeat(starts, reps)
    src_out = src[np.repeat(np.arange(len(ev)), reps)]
    code_tab = np.array([[-1 if a is None else _ACT_CODE[a] for a in row] for row in table],
                        dtype=np.int64).reshape(table.shape)
    out["activity"] = _act_col(code_tab[src_out, sub])
    out["sub"] = sub
    is_hand = np.array([a in hand for a in names], dtype=bool)
    out["handover"] = is_hand[src_out] if len(names) else np.zeros(len(out), dtype=bool)
    rank = m.tie_rank()
    tie_tab = np.array([[rank.get(a, len(rank)) if a is not None else len(rank) + 1
                         for a in row] for row in table], dtype=np.int64).reshape(table.shape)
    out["tie"] = tie_tab[src_out, sub]
    return out


def _passes(ev: pd.DataFrame, m: Mapping, report: QualityReport) -> tuple[pd.DataFrame,
                                                                          set[str]]:
    """Attempts and tickets from the source's history; synthesised ``rejected`` rows added."""
    rank, _ = pd.factorize(ev["case"], sort=True)  # the cases' string order, as ints
    # by case, time, source seq, tie order, source row (a total order; NaN seq last)
    perm = np.lexsort((ev["sub"].to_numpy(), ev["row"].to_numpy(), ev["tie"].to_numpy(),
                       ev["seq_src"].to_numpy(), ev["ts"].to_numpy(), rank))
    order = np.arange(len(ev), dtype=float)  # the walk's order: the final order
    ev["crank"] = rank
    case = ev["case"].to_numpy(dtype=object)[perm]
    act = category_objects(ev["activity"])[perm]  # None: a neutral row
    if m.columns.attempt:
        ev = ev.iloc[perm].reset_index(drop=True)
        ev["order"] = order
        att = pd.to_numeric(pd.Series(ev["attempt_src"]), errors="coerce")
        bad = att.isna().to_numpy() & ev["activity"].notna().to_numpy()
        if bad.any():
            r = int(ev["row"].to_numpy()[bad][0])
            raise EventLogError(f"row {r + 2}: attempt "
                                f"{ev['attempt_src'].to_numpy()[bad][0]!r} is not an integer")
        ev["attempt"] = att.fillna(1).astype(np.int64).to_numpy()
        ev["part"] = 0
        return ev, set()
    cand = candidate_tickets(rank[perm], act)
    q = m.quality
    ts = ev["ts"].to_numpy()[perm]
    res = walk_passes(case, act, ts, candidates=cand,
                      reuse_gap_ms=q.reuse_gap_days * 86_400_000.0, reused=q.reused_case_id,
                      after_resolution=m.reopen.after_resolution,
                      after_close=m.reopen.after_close)
    keep = ~res.drop
    ev = ev.iloc[perm[keep]].reset_index(drop=True)  # sorted, provisional closes dropped
    ev["order"], ev["attempt"], ev["part"] = order[keep], res.attempt[keep], res.part[keep]
    synth = None
    if res.synth:
        pos = np.array([p for p, _, _ in res.synth], dtype=np.int64)
        synth = pd.DataFrame({
            "case": pd.Series(case[pos], dtype=object), "src": -1, "ts": ts[pos], "st": _NAT,
            "resource": _nulls_like(ev["resource"], len(pos)),
            "role": _nulls_like(ev["role"], len(pos)), "seq_src": 0.0,
            "row": -1, "activity": _act_const("rejected", len(pos)), "sub": 0,
            "handover": False, "crank": rank[perm][pos],
            "tie": -1, "attempt": [a for _, _, a in res.synth],
            "part": [p for _, p, _ in res.synth], "order": pos.astype(float) - 0.5,
        })
        report.synthesised["rejected (reopen)"] = len(pos)
    if res.drop.any():
        report.dropped["closed (provisional: reopened)"] = int(res.drop.sum())
    if synth is not None:
        ev = pd.concat([ev, synth], ignore_index=True)
    if res.reopens:
        report.count("reopened", rows=res.reopens, tickets=len(res.reopened_tickets),
                     action="a reopen (a rejection, work after the resolution, events after a "
                            "close within the reuse gap): a second pass (rejected, attempt + 1)")
    if res.reuses:
        action = ("split into a new ticket (id suffixed ~2, ~3 …)"
                  if q.reused_case_id == "split" else "quarantined")
        report.count("reused_case_id", rows=res.reuses, tickets=len(res.reused_cases),
                     action=f"events resume more than {q.reuse_gap_days:g} days after the "
                            f"close: another ticket re-using the case id, {action}")
    return ev, res.quarantined


def _handover(ev: pd.DataFrame, m: Mapping, report: QualityReport) -> pd.DataFrame:
    """The hand-over rule per pass: the first hand-over vs later ones, one per instant."""
    assert m.handover is not None
    is_h = ev["handover"].to_numpy(dtype=bool)
    if not is_h.any():
        return ev
    h = ev[is_h].sort_values(["ticket_id", "attempt", "ts", "row"], kind="stable")
    same = h.duplicated(["ticket_id", "attempt", "ts"], keep="first").to_numpy()
    if same.any():
        report.dropped["handover (same instant)"] = int(same.sum())
    h = h[~same]
    later = h.groupby(["ticket_id", "attempt"]).cumcount().to_numpy() > 0
    parts = [ev[~is_h], h[~later]]
    late = h[later]
    for k, a in enumerate(m.handover.later):
        x = late.copy()
        x["activity"] = _act_const(a, len(x))
        x["sub"] = k
        x["tie"] = m.tie_rank().get(a, 0)
        parts.append(x)
    return pd.concat(parts, ignore_index=True)


def _keep(ev: pd.DataFrame, m: Mapping, report: QualityReport) -> pd.DataFrame:
    """The mapping's keep rules (first / last occurrence) per ticket and pass."""
    drop = np.zeros(len(ev), dtype=bool)
    codes = ev["activity"].cat.codes.to_numpy()
    tcode = ev["tk"].to_numpy()
    for act, rule in m.keep.items():
        if rule == "all":
            continue
        is_act = codes == _ACT_CODE[act]
        if not is_act.any():
            continue
        at = np.flatnonzero(is_act)
        sub = pd.DataFrame({"t": tcode[at], "a": ev["attempt"].to_numpy()[at],
                            "o": ev["order"].to_numpy()[at], "i": at})
        sub = sub.sort_values("o", kind="stable")
        pos = sub.groupby(["t", "a"]).cumcount(ascending=(rule == "first")).to_numpy()
        extra = sub["i"].to_numpy()[pos > 0]
        if len(extra):
            report.dropped[act] = report.dropped.get(act, 0) + len(extra)
            drop[extra] = True
    return ev[~drop] if drop.any() else ev


def _synth(rows: pd.DataFrame, activity: str, tie: int, order: np.ndarray,
           like: pd.DataFrame) -> pd.DataFrame:
    """Rows of a synthesised ``activity`` placed at ``order`` in the walk's order (columns
    typed like those of ``like``)."""
    return pd.DataFrame({
        "ticket_id": _objects(rows["ticket_id"]), "case": _objects(rows["case"]),
        "tk": rows["tk"].to_numpy(), "crank": rows["crank"].to_numpy(),
        "activity": _act_const(activity, len(rows)), "ts": rows["ts"].to_numpy(dtype=np.int64),
        "st": _NAT,
        "resource": _nulls_like(like["resource"], len(rows)),
        "role": _nulls_like(like["role"], len(rows)), "seq_src": 0.0, "row": -1, "sub": 0,
        "tie": tie,
        "attempt": rows["attempt"].to_numpy(), "part": rows["part"].to_numpy(),
        "order": order,
    })


def _events(raw: pd.DataFrame, m: Mapping, path: Path, report: QualityReport
            ) -> tuple[pd.DataFrame, set[str]]:
    c = m.columns
    ev, targets = _mapped(raw, m, path, report)
    ev = _expand(ev, targets, m)
    ev, quarantined = _passes(ev, m, report)
    n_cases = int(ev["crank"].max()) + 1 if len(ev) else 0
    part = ev["part"].to_numpy(dtype=np.int64)
    ids = ev["case"].to_numpy(dtype=object)
    if (part > 0).any():
        ids = ids.copy()
        k = part > 0
        ids[k] = ids[k] + np.char.add("~", (part[k] + 1).astype(str)).astype(object)
    ev["ticket_id"] = pd.Series(ids, index=ev.index, dtype=object)
    # the ticket as an integer (case rank, part): the key of the steps below
    ev["tk"] = ev["crank"].to_numpy(dtype=np.int64) * (int(part.max(initial=0)) + 1) + part
    if m.handover is not None:
        ev = _handover(ev, m, report)
    first_row = ev.groupby("tk", sort=False)["ts"].min()
    ev = ev[ev["activity"].notna().to_numpy()].reset_index(drop=True)
    ev = _keep(ev, m, report)
    extras: list[pd.DataFrame] = []
    acode = ev["activity"].cat.codes.to_numpy()
    if m.synthesise_received == "first_event":
        have = ev["tk"].to_numpy()[acode == _ACT_CODE["received"]]
        firsts = ev.drop_duplicates("tk")[["ticket_id", "case", "part", "tk", "crank"]]
        need = firsts[~firsts["tk"].isin(have).to_numpy()]
        if len(need):
            rows = need.assign(ts=first_row.reindex(need["tk"]).to_numpy(), attempt=1)
            extras.append(_synth(rows, "received", -3, np.full(len(rows), -np.inf), ev))
            report.synthesised["received"] = len(need)
    if m.reopen.record:
        opened = ev[acode == _ACT_CODE["rejected"]][
            ["ticket_id", "case", "part", "tk", "crank", "attempt", "ts", "order"]].copy()
        opened["attempt"] += 1
        has = ev[acode == _ACT_CODE["recorded"]][["tk", "attempt"]]
        later = ev[["tk", "attempt"]].drop_duplicates()
        opened = opened.merge(later, on=["tk", "attempt"])  # attempt k+1 exists
        opened = opened.merge(has.drop_duplicates(), on=["tk", "attempt"], how="left",
                              indicator=True)
        need_rec = opened[opened["_merge"] == "left_only"].drop(columns="_merge")
        need_rec = need_rec.drop_duplicates(["tk", "attempt"])
        if len(need_rec):
            extras.append(_synth(need_rec, "recorded", -2,
                                 need_rec["order"].to_numpy() + 0.25, ev))
            report.synthesised["recorded (reopened pass)"] = len(need_rec)
    if m.reopen.accept_at_close:
        extras.append(_accept_at_close(ev, m, report))
    # the synthesised rows only add to the rows the steps above look at: appended at once
    extras = [x for x in extras if len(x)]
    if extras:
        ev = pd.concat([ev, *extras], ignore_index=True)
    # every case of the source has a rank (the keep rules keep a row of each case)
    no_events = n_cases - int(np.count_nonzero(np.bincount(ev["crank"].to_numpy(),
                                                           minlength=n_cases)))
    if no_events:
        report.notes.append(f"{no_events} ticket(s) with no mapped event were not loaded")
    rank, ids = _string_rank(ev["tk"].to_numpy(), ev["ticket_id"].to_numpy(dtype=object))
    perm = np.lexsort((ev["sub"].to_numpy(), ev["order"].to_numpy(),
                       ev["attempt"].to_numpy(), rank))  # stable
    ev = ev.iloc[perm].reset_index(drop=True)
    ev["ticket_id"] = pd.Categorical.from_codes(  # the canonical dtype, built from the sort
        rank[perm], dtype=pd.CategoricalDtype(pd.Index([str(t) for t in ids], dtype=object)))
    dup = ev.duplicated(["ticket_id", "ts"], keep=False)
    if dup.any():
        report.notes.append(
            f"{int(dup.sum())} events share their timestamp with another event of the same "
            "ticket; ordered by the mapping's tie_order"
        )
    ev["seq"] = (pd.to_numeric(ev["seq_src"]) if c.seq else  # a count: the contract's int32
                 ev.groupby("ticket_id", sort=False).cumcount().astype(np.int32))
    roles = list(ROLE_DTYPE.categories)
    if m.roles and not c.role and all(r in roles for r in m.roles.values()):
        # the contract's role categorical, one look-up per activity
        by_act = np.array([roles.index(m.roles[a]) if a in m.roles else -1
                           for a in ACTIVITY_DTYPE.categories] + [-1], dtype=np.int64)
        ev["role"] = pd.Categorical.from_codes(by_act[ev["activity"].cat.codes.to_numpy()],
                                               dtype=ROLE_DTYPE)
    elif m.roles:
        codes, acts = pd.factorize(ev["activity"])
        role_of = np.array([m.roles.get(a) for a in acts] + [None], dtype=object)  # -1: None
        fill = pd.Series(role_of[codes], index=ev.index, dtype=object)
        ev["role"] = ev["role"].where(ev["role"].notna(), fill) if c.role else fill
    ev["timestamp"] = _dt(ev["ts"].to_numpy())
    ev["started_at"] = _dt(ev["st"].to_numpy())
    ev["scenario"] = None
    ev["replication"] = pd.array(np.full(len(ev), pd.NA), dtype="Int32")
    att = ev["attempt"].to_numpy(dtype=np.int64)
    small = len(att) == 0 or (att.min() >= 1 and att.max() <= np.iinfo(np.int16).max)
    ev["attempt"] = att.astype(np.int16) if small else att  # the contract's width when it fits
    cols = ["ticket_id", "case", "seq", "activity", "started_at", "timestamp", "resource",
            "role", "attempt", "scenario", "replication", "part"]
    return ev[cols], quarantined


def _string_rank(key: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Per row, the rank of its id in the ids' string order, and those ids in order, from an
    integer ``key`` equal where the id is (each distinct id turned and sorted once)."""
    inverse, uniq = pd.factorize(key)
    first = np.empty(len(uniq), dtype=np.int64)
    first[inverse] = np.arange(len(key))  # a row of each key (all rows of a key agree)
    rank_u, names = pd.factorize(pd.Index([str(t) for t in ids[first]], dtype=object),
                                 sort=True)
    return rank_u[inverse], [str(t) for t in names]


def _accept_at_close(ev: pd.DataFrame, m: Mapping, report: QualityReport) -> pd.DataFrame:
    """``accepted`` just before a final ``closed`` whose pass has no acceptance decision (the
    rows to add)."""
    acode = ev["activity"].cat.codes.to_numpy()
    closes = ev[acode == _ACT_CODE["closed"]].sort_values("order", kind="stable")
    last = closes.drop_duplicates("tk", keep="last")
    decided = ev[(acode == _ACT_CODE["accepted"]) | (acode == _ACT_CODE["rejected"])][
        ["tk", "attempt"]]
    last = last.merge(decided.drop_duplicates(), on=["tk", "attempt"], how="left",
                      indicator=True)
    need = last[last["_merge"] == "left_only"]
    if len(need):
        tie = m.tie_rank()
        report.synthesised["accepted (closed without a reopen)"] = len(need)
        return _synth(need, "accepted", tie["closed"] - 1 if "closed" in tie else 0,
                      need["order"].to_numpy() - 0.5, ev)
    return need.iloc[:0]


def _joined(df: pd.DataFrame, cols: str | list[str]) -> pd.Series:
    if isinstance(cols, str):
        return df[cols]
    parts = [df[c].to_numpy(dtype=object) for c in cols]
    null = np.logical_or.reduce([pd.isna(p) for p in parts])
    out = np.array([_SEP.join(map(str, v)) for v in zip(*parts, strict=True)], dtype=object)
    out[null] = None
    return pd.Series(out, index=df.index, dtype=object)


def _last_rows(raw: pd.DataFrame, col: str | list[str], case_codes: np.ndarray,
               n_cases: int) -> np.ndarray:
    """Per case code, the last row where ``col`` (each of several columns) is not empty;
    -1 where there is none."""
    cols = [col] if isinstance(col, str) else col
    filled = np.logical_and.reduce([raw[c].notna().to_numpy() for c in cols])
    rows = np.flatnonzero(filled)
    last = np.full(n_cases, -1, dtype=np.int64)
    np.maximum.at(last, case_codes[rows], rows)
    return last


def _last_value(raw: pd.DataFrame, col: str | list[str], case_codes: np.ndarray,
                case_names: pd.Index) -> pd.Series:
    """Per case (index: the case id as a string), the value of ``col`` (several columns
    joined) on its last row where it is not empty; cases without one are left out."""
    last = _last_rows(raw, col, case_codes, len(case_names))
    which = np.flatnonzero(last >= 0)
    values = _joined(raw.iloc[last[which]].reset_index(drop=True), col).to_numpy(dtype=object)
    index = pd.Index([str(v) for v in np.asarray(case_names, dtype=object)[which]],
                     dtype=object)
    return pd.Series(values, index=index, dtype=object)


def _ticket_values(cases: list[str], raw: pd.DataFrame, table: pd.DataFrame | None,
                   m: Mapping) -> dict[str, pd.Series]:
    spec = m.tickets
    out: dict[str, pd.Series] = {}
    at = case_codes = None
    if table is None:  # each ticket's case as a code of the source's case column
        case_codes, case_names = pd.factorize(raw[m.columns.ticket_id])
        at = pd.Index(_text(pd.Series(case_names, dtype=object)), dtype=object).get_indexer(
            pd.Index(cases, dtype=object))
    for fld, col in spec.columns.items():
        if table is not None:
            assert spec.key is not None
            t = table.drop_duplicates(spec.key, keep="last")
            s = pd.Series(_joined(t, col).to_numpy(), index=t[spec.key].astype(str))
            s = s.reindex(cases)
        else:
            assert case_codes is not None and at is not None
            last = _last_rows(raw, col, case_codes, len(case_names))
            rows = np.where(at >= 0, last[np.maximum(at, 0)], -1)
            vals = np.full(len(cases), np.nan, dtype=object)  # as a reindex leaves a gap
            has = rows >= 0
            vals[has] = _joined(raw.iloc[rows[has]].reset_index(drop=True), col).to_numpy(
                dtype=object)
            s = pd.Series(vals, dtype=object)
        if fld in spec.values:
            vm = spec.values[fld]
            s = s.map(lambda v, vm=vm: vm.get(v, v) if v is not None and v == v else v)
        out[fld] = s.reset_index(drop=True)
    for fld, value in spec.constants.items():
        const = pd.Series([value] * len(cases), dtype=object)
        out[fld] = out[fld].where(out[fld].notna(), const) if fld in out else const
    return out


def _tickets(ids: list[str], cases: list[str], raw: pd.DataFrame, table: pd.DataFrame | None,
             m: Mapping, path: Path) -> pd.DataFrame:
    vals = _ticket_values(cases, raw, table, m)  # one value per ticket (of its case)
    where = m.path or m.name
    for req in ("category", "emergency", "mode"):
        if req not in vals:
            raise MappingError(f"{where}: tickets: {req} needs a column or a constant")
        if vals[req].isna().any():
            i = int(vals[req].isna().to_numpy().argmax())
            raise MappingError(f"{where}: tickets.{req} is empty for ticket {ids[i]!r}")
    tax = default_taxonomy()
    for flag in ("route_dispatch", "route_site_visit", "route_callback"):
        if flag not in vals:
            cats = vals["category"]
            unknown = [c for c in cats.unique() if c not in tax]
            if unknown:
                raise MappingError(
                    f"{where}: tickets.{flag} not given and category {unknown[0]!r} is not in "
                    "the default taxonomy (give it as a constant or a column)"
                )
            vals[flag] = cats.map(lambda c, f=flag: getattr(tax[c], f))
    if "department" not in vals:
        vals["department"] = vals["category"].map(
            lambda c: tax[c].department if c in tax else None)
    tk = pd.DataFrame({"ticket_id": pd.Series(ids, dtype=object),
                       **{k: v.to_numpy() for k, v in vals.items()}})
    for col in ("booked_at", "appointment_at"):
        if col in tk:
            tk[col] = _timestamps(tk[col].astype("string"), m, f"{path}: tickets.{col}")
    from fcsim.eventlog.schema import TICKET_COLUMNS
    for col in TICKET_COLUMNS:
        if col not in tk and col != "schema_version":
            tk[col] = None
    return tk[[c for c in TICKET_COLUMNS if c != "schema_version"]]


def _stored_columns(m: Mapping) -> list[str]:
    c = m.columns
    cols = [c.ticket_id, c.activity] + [x for x in (c.resource, c.role) if x]
    for col in m.tickets.columns.values():
        cols += [col] if isinstance(col, str) else list(col)
    return cols


def _issues(raw: pd.DataFrame, m: Mapping, cols: list[str], path: Path) -> pd.DataFrame:
    found = text_issues(raw, [c for c in cols if c in raw.columns], m.quality.max_field_chars)
    ids = _text(raw[m.columns.ticket_id]) if m.columns.ticket_id in raw else None
    rows = [(None if ids is None else str(ids[r]), None, code, f"{path}, row {r + 2}: {msg}")
            for r, code, msg in found]
    return pd.DataFrame(rows, columns=list(ISSUE_COLUMNS))


def translate(
    path: Path, m: Mapping, *, tickets_path: str | Path | None = None
) -> tuple[EventLog, QualityReport, pd.DataFrame]:
    """The canonical log of a source file under mapping ``m``, the report so far, and the
    ticket-level data-quality issues (columns :data:`ISSUE_COLUMNS`, seq empty; a re-used
    case id to quarantine, over-long fields, control characters) for the importer's policy.
    """
    c = m.columns
    ev_cols = [c.ticket_id, c.activity, c.timestamp] + [
        x for x in (c.started_at, c.resource, c.role, c.seq, c.attempt) if x
    ]
    case_file = tickets_path or (
        path.parent / m.source.tickets_file if m.source.tickets_file else None)
    tcols: list[str] = []
    for col in m.tickets.columns.values():
        tcols += [col] if isinstance(col, str) else list(col)
    if case_file is None:
        ev_cols += tcols
    raw = read_source(path, m, ev_cols)
    report = QualityReport(
        source=str(path) + (f" + {case_file}" if case_file else ""),
        mapping=m.path or m.name, rows_read=len(raw), time_zone=m.source.timezone,
    )
    issues = [_issues(raw, m, _stored_columns(m), path)]
    table = None
    if case_file is not None:
        if not m.tickets.key:
            raise MappingError(f"{m.path or m.name}: tickets.key is needed with a case table")
        table = read_source(Path(case_file), m, [m.tickets.key, *tcols])
        t_issues = _issues(table.rename(columns={m.tickets.key: c.ticket_id})
                           if m.tickets.key != c.ticket_id else table, m, tcols,
                           Path(case_file))
        issues.append(t_issues)
    ev, quarantined = _events(raw, m, path, report)
    tick = ev.drop_duplicates("ticket_id")[["ticket_id", "case"]]
    tk = _tickets(tick["ticket_id"].tolist(), _text(tick["case"]).tolist(), raw, table,
                  m, path)
    if m.source.timezone != "UTC":
        report.notes.append(f"naive source timestamps read as {m.source.timezone}")
    found = pd.concat([i for i in issues if len(i)], ignore_index=True) if any(
        len(i) for i in issues) else pd.DataFrame(columns=list(ISSUE_COLUMNS))
    if len(found):  # an issue of a case concerns every ticket split off it
        by_case = ev.drop_duplicates("ticket_id").groupby("case")["ticket_id"].agg(list)
        found["ticket_id"] = found["ticket_id"].map(lambda t: by_case.get(t, [t]))
        found = found.explode("ticket_id", ignore_index=True)
    if quarantined:
        q = ev[ev["case"].isin(quarantined)].drop_duplicates("ticket_id")
        found = pd.concat([found, pd.DataFrame({
            "ticket_id": q["ticket_id"].to_numpy(), "seq": None, "code": "reused_case_id",
            "message": [f"case {cs}: events resume more than {m.quality.reuse_gap_days:g} days "
                        "after its close (a re-used case id; [quality] reused_case_id = "
                        "\"quarantine\")" for cs in q["case"]]})], ignore_index=True)
    try:
        log = EventLog.from_frames(ev.drop(columns=["case", "part"]), tk)
    except EventLogError as exc:
        raise EventLogError(f"{path} (mapping {m.path or m.name}): {exc}") from None
    return log, report, found

