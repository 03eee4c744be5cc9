"""Mutations of valid tickets against an independent oracle (a regular grammar per route type).

The oracle never looks at ``fcsim.model.lifecycle``: for each route type generated here it
writes the procedure as a regular expression over tokens "letter + attempt digit" (built with
four combinators that also give the expression's prefix closure), and accepts

* an open ticket: a prefix of a complete path;
* a closed ticket: a non-empty prefix, then ``closed`` in the same attempt, then any number of
  ``sample_callback`` in that attempt;

after taking out the interruptions (``preempted``/``resumed``, ``handed_over``/``taken_over``),
which may come anywhere between receipt and close with the attempt of the event before them
(or the next one directly after ``rejected``): a preemption is closed by ``resumed`` before any
other step (``closed`` aside) and never nested; a ``taken_over`` needs an open ``handed_over``.

A mutation (swap two events' activities, drop an event, duplicate an event) must be flagged
by :func:`validate` exactly when the oracle rejects it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from hypothesis import given
from hypothesis import strategies as st

from fcsim.model.lifecycle import EventRecord, TicketFacts, validate

LETTER = {
    "received": "R", "relayed": "L", "recorded": "D", "emergency_reported": "E",
    "classified": "C", "misrouted": "M", "dispatched": "P", "signed": "S", "contacted": "K",
    "arrived": "A", "diagnosed": "G", "planned": "N", "communicated": "O", "work_started": "W",
    "preempted": "X", "resumed": "Y", "handed_over": "x", "taken_over": "y",
    "blocked": "B", "escalated": "U",
    "referred_to_meeting": "F", "work_completed": "Q", "accepted": "V", "rejected": "J",
    "slip_returned": "T", "callback": "H", "callback_failed": "I", "closed": "Z",
    "sample_callback": "s",
}
ACTIVITY = {v: k for k, v in LETTER.items()}


# ---- the oracle: regular expressions with their prefix closure --------------------------

@dataclass(frozen=True)
class Rx:
    full: str  # the complete paths
    pre: str  # every prefix of a complete path (including the empty one)


EPS = Rx("", "")


def lit(letters: str, k: int) -> Rx:
    """The tokens of ``letters`` in attempt ``k``, in order."""
    return seq(*[Rx(f"{c}{k}", f"(?:{c}{k})?") for c in letters])


def seq(*parts: Rx) -> Rx:
    out = EPS
    for p in reversed(parts):
        out = Rx(p.full + out.full, f"(?:{p.pre}|{p.full}{out.pre})")
    return out


def alt(*parts: Rx) -> Rx:
    return Rx("(?:" + "|".join(p.full for p in parts) + ")",
              "(?:" + "|".join(p.pre for p in parts) + ")")


def star(p: Rx) -> Rx:
    return Rx(f"(?:{p.full})*", f"(?:{p.full})*{p.pre}")


def opt(p: Rx) -> Rx:
    return Rx(f"(?:{p.full})?", p.pre)


MAX_ATTEMPT = 3


def work(k: int) -> Rx:
    return seq(lit("W", k), star(seq(lit("BU", k), star(lit("F", k)))), lit("Q", k))


def decision(k: int, callback: bool, nxt: Rx) -> Rx:
    """Accepted (then slip, callbacks; a reached callback may reopen) or rejected."""
    if callback:
        accept = seq(lit("VT", k), star(lit("I", k)),
                     opt(seq(lit("H", k), opt(seq(lit("J", k), nxt)))))
    else:
        accept = lit("VT", k)
    return alt(accept, seq(lit("J", k), nxt))


def engineering(k: int) -> Rx:
    """Immediate, not an emergency, misroutes possible (recognised_correctly false)."""
    if k > MAX_ATTEMPT:
        return EPS
    failed = seq(lit("P", k), opt(lit("S", k)), opt(seq(lit("A", k), opt(lit("G", k)))))
    final = seq(lit("P", k), opt(lit("S", k)), lit("AG", k))
    to_m = seq(opt(failed), lit("M", k), star(seq(failed, lit("M", k))))
    after_c = seq(star(seq(to_m, lit("C", k))), opt(to_m), final)
    tail = seq(lit("NO", k), work(k), decision(k, True, engineering(k + 1)))
    if k == 1:
        return seq(lit("R", 1), opt(lit("L", 1)), lit("DC", 1), after_c, tail)
    m_loop = seq(failed, lit("M", k), star(seq(failed, lit("M", k))))
    after_d = alt(seq(lit("C", k), after_c),
                  seq(m_loop, alt(seq(lit("C", k), after_c), final)), final)
    return seq(lit("D", k), after_d, tail)


def appointment(k: int) -> Rx:
    """Appointment, not an emergency, recognised correctly."""
    if k > MAX_ATTEMPT:
        return EPS
    site = seq(lit("P", k), alt(EPS, lit("S", k), lit("K", k), lit("SK", k), lit("KS", k)),
               lit("AGNO", k), work(k), decision(k, True, appointment(k + 1)))
    if k == 1:
        return seq(lit("R", 1), opt(lit("L", 1)), lit("DC", 1), site)
    return seq(lit("D", k), opt(lit("C", k)), site)


def emergency(k: int) -> Rx:
    """Immediate emergency, recognised correctly: report in attempt 1, may sign late."""
    if k > 2:
        return EPS
    nxt = decision(k, True, emergency(k + 1))
    signed_early = alt(*[lit(s, k) for s in ("SAGNO", "ASGNO", "AGSNO", "AGNSO", "AGNOS")])
    site = seq(lit("P", k), alt(seq(signed_early, work(k), nxt),
                                seq(lit("AGNO", k), work(k), opt(lit("S", k)), nxt)))
    if k == 1:
        report = alt(lit("EDC", 1), lit("DEC", 1), lit("DCE", 1), lit("DC", 1))
        return seq(lit("R", 1), opt(lit("L", 1)), report, site)
    return seq(lit("D", k), opt(lit("C", k)), site)


def desk(k: int) -> Rx:
    """Answered at the desk (no dispatch, site visit or callback), may escalate."""
    return seq(lit("R", 1), opt(lit("L", 1)), lit("DC", 1),
               star(seq(lit("BU", 1), star(lit("F", 1)))))


GRAMMARS = {"engineering": engineering, "appointment": appointment, "emergency": emergency,
            "desk": desk}
FACTS = {
    "engineering": TicketFacts(recognised_correctly=False),
    "appointment": TicketFacts(mode="appointment", recognised_correctly=True),
    "emergency": TicketFacts(emergency=True, recognised_correctly=True),
    "desk": TicketFacts(route_dispatch=False, route_site_visit=False, route_callback=False,
                        recognised_correctly=True),
}


@cache
def prefix_rx(kind: str) -> re.Pattern[str]:
    return re.compile(GRAMMARS[kind](1).pre)


Token = tuple[str, int]  # (letter, attempt)


def without_interruptions(tokens: list[Token]) -> list[Token] | None:
    """The steps of the procedure, or None when an interruption is out of place."""
    out: list[Token] = []
    preempted, handovers = False, 0
    for c, k in tokens:
        if c in "XYxy":
            if not out or out[-1][0] == "Z":
                return None
            pc, pk = out[-1]
            if not (k == pk or (k == pk + 1 and pc == "J")):
                return None
            if c == "X":
                if preempted:
                    return None
                preempted = True
            elif c == "Y":
                if not preempted:
                    return None
                preempted = False
            elif c == "x":
                handovers += 1
            elif handovers == 0:
                return None
            else:
                handovers -= 1
            continue
        if preempted and c != "Z":
            return None
        out.append((c, k))
    return out


def oracle(kind: str, tokens: list[Token]) -> bool:
    """Whether ``tokens`` is a valid ticket of route type ``kind``."""
    steps = without_interruptions(tokens)
    if steps is None:
        return False
    tokens = steps
    letters = [c for c, _ in tokens]
    body = tokens
    if "Z" in letters:
        z = letters.index("Z")
        k = tokens[z][1]
        if z == 0 or tokens[z - 1][1] != k or any(t != ("s", k) for t in tokens[z + 1:]):
            return False
        body = tokens[:z]
    text = "".join(f"{c}{k}" for c, k in body)
    return prefix_rx(kind).fullmatch(text) is not None


def records(tokens: list[Token]) -> list[EventRecord]:
    return [EventRecord(ACTIVITY[c], float(i), i, k) for i, (c, k) in enumerate(tokens)]


def flagged(kind: str, tokens: list[Token]) -> bool:
    return bool(validate(records(tokens), FACTS[kind]))


# ---- generators of valid tickets (written from the procedure, checked by the oracle) -----

@st.composite
def work_tokens(draw: st.DrawFn, k: int) -> list[Token]:
    out = [("W", k)]
    for _ in range(draw(st.integers(0, 3))):
        if draw(st.booleans()):
            out += [("X", k), ("Y", k)]
        else:
            out += [("B", k), ("U", k)] + [("F", k)] * draw(st.integers(0, 2))
    return [*out, ("Q", k)]


@st.composite
def interrupted(draw: st.DrawFn, tokens: list[Token]) -> list[Token]:
    """``tokens`` with preemptions and handovers at random places (after receipt, before
    close), each with the attempt of the event before it."""
    out = list(tokens)
    for _ in range(draw(st.integers(0, 2))):
        last = next((i for i, (c, _) in enumerate(out) if c == "Z"), len(out))
        depth = [0]  # open preemptions before each boundary
        for c, _ in out:
            depth.append(depth[-1] + (c == "X") - (c == "Y"))
        places = [i for i in range(1, last + 1) if depth[i] == 0]
        if not places:
            break
        i = draw(st.sampled_from(places))
        pair = draw(st.sampled_from(["XY", "xy", "x"]))
        k = out[i - 1][1]
        if pair == "x":  # a handover whose take-over comes later, around a preemption
            out[i:i] = [("x", k), ("X", k), ("Y", k), ("y", k)]
        else:
            out[i:i] = [(pair[0], k), (pair[1], k)]
    return out


@st.composite
def ticket(draw: st.DrawFn, kind: str) -> list[Token]:
    out: list[Token] = [("R", 1)] + ([("L", 1)] if draw(st.booleans()) else [])
    k, last = 1, MAX_ATTEMPT if kind != "emergency" else 2
    if kind == "desk":
        out += [("D", 1), ("C", 1)]
        for _ in range(draw(st.integers(0, 2))):
            out += [("B", 1), ("U", 1)] + ([("F", 1)] if draw(st.booleans()) else [])
    while kind != "desk":
        if k == 1 and kind == "emergency":
            out += draw(st.sampled_from([[("E", 1), ("D", 1), ("C", 1)],
                                         [("D", 1), ("E", 1), ("C", 1)],
                                         [("D", 1), ("C", 1), ("E", 1)], [("D", 1), ("C", 1)]]))
        elif k == 1 or draw(st.booleans()):
            out += [("D", k), ("C", k)]
        else:
            out += [("D", k)]
        if kind == "engineering":
            stops = ["", "P", "PS", "PA", "PSA", "PAG", "PSAG"]
            for _ in range(draw(st.integers(0, 2))):
                # misrouted needs classified or dispatched just before it
                stop = draw(st.sampled_from(stops if out[-1][0] == "C" else stops[1:]))
                out += [(c, k) for c in stop] + [("M", k)]
                if draw(st.booleans()):
                    out += [("C", k)]
        out += [("P", k)]
        pre = draw(st.sampled_from(["", "S", "K", "SK", "KS"] if kind == "appointment"
                                   else ["", "S"]))
        out += [(c, k) for c in pre]
        site = [("A", k), ("G", k), ("N", k), ("O", k)]
        late = kind == "emergency" and pre == "" and draw(st.integers(0, 5))
        if late and late < 5:
            site.insert(late, ("S", k))
        out += site + draw(work_tokens(k))
        if late == 5:
            out += [("S", k)]
        if k < last and draw(st.integers(0, 3)) == 0:
            out += [("J", k)]
            k += 1
            continue
        out += [("V", k), ("T", k)] + [("I", k)] * draw(st.integers(0, 2))
        if draw(st.booleans()):
            out += [("H", k)]
            if k < last and draw(st.integers(0, 3)) == 0:  # not satisfied: a second pass
                out += [("J", k)]
                k += 1
                continue
        break
    cut = draw(st.integers(1, len(out)))  # open or closed early when cut < len(out)
    out = out[:cut] if draw(st.integers(0, 2)) == 0 else out
    if draw(st.booleans()):
        k = out[-1][1]
        out += [("Z", k)] + [("s", k)] * draw(st.integers(0, 2))
    return out


KINDS = st.sampled_from(sorted(GRAMMARS))


@st.composite
def kind_and_ticket(draw: st.DrawFn) -> tuple[str, list[Token]]:
    kind = draw(KINDS)
    return kind, draw(interrupted(draw(ticket(kind))))


# ---- the oracle itself, on hand-picked strings --------------------------------------------

def toks(text: str) -> list[Token]:
    return [(text[i], int(text[i + 1])) for i in range(0, len(text), 2)]


def test_oracle_on_hand_picked_tickets() -> None:
    eng = "R1D1C1P1S1A1G1N1O1W1Q1V1T1H1Z1"
    assert oracle("engineering", toks(eng))
    assert oracle("engineering", toks("R1D1C1P1A1M1P1A1G1"))  # open, after re-dispatch
    assert oracle("engineering", toks("R1D1C1P1A1G1N1O1W1Q1J1D2P2A2G2N2O2W2Q2V2T2Z2s2"))
    assert not oracle("engineering", toks("R1D1C1M1M1"))
    assert not oracle("engineering", toks("R1D1C1P1A1N1"))  # planned without diagnosed
    assert not oracle("engineering", toks("R1D1C1J1D2"))
    assert not oracle("engineering", toks("R1D1Z2"))
    assert not oracle("engineering", toks("R1Z1Z1"))
    assert oracle("emergency", toks("R1D1C1E1P1A1G1S1N1"))
    assert not oracle("emergency", toks("R1D1C1P1E1"))
    assert oracle("appointment", toks("R1D1C1P1K1S1A1"))
    assert not oracle("appointment", toks("R1D1C1P1A1S1"))
    assert oracle("desk", toks("R1D1C1B1U1F1B1U1Z1"))
    assert oracle("desk", toks("R1D1C1B1U1F1F1Z1"))  # a meeting carries it to the next
    assert not oracle("desk", toks("R1D1C1P1"))
    # interruptions: anywhere, paired, with the attempt of the event before them
    assert oracle("engineering", toks("R1X1Y1D1C1P1A1x1y1G1N1O1W1X1Y1Q1V1T1H1J1X2Y2D2"))
    assert oracle("engineering", toks("R1D1C1P1A1G1N1O1W1x1X1Y1y1Q1"))
    assert not oracle("engineering", toks("X1R1"))
    assert not oracle("engineering", toks("R1D1X1C1Y1"))  # a step inside a preemption
    assert not oracle("engineering", toks("R1D1X1X1Y1"))  # nested
    assert not oracle("engineering", toks("R1D1Y1"))  # unpaired resume
    assert not oracle("engineering", toks("R1D1y1"))  # unpaired take-over
    assert not oracle("engineering", toks("R1D1X2Y2C1"))  # wrong attempt
    assert not oracle("engineering", toks("R1D1C1Z1X1Y1"))  # after close
    assert oracle("engineering", toks("R1D1C1X1Z1"))  # closed while preempted


# ---- the properties --------------------------------------------------------------------------

@given(kind_and_ticket())
def test_generated_tickets_are_valid(kt: tuple[str, list[Token]]) -> None:
    kind, tokens = kt
    assert oracle(kind, tokens), tokens
    assert validate(records(tokens), FACTS[kind]) == []


@st.composite
def mutation(draw: st.DrawFn) -> tuple[str, list[Token], list[Token], str]:
    kind, tokens = draw(kind_and_ticket())
    n = len(tokens)
    op = draw(st.sampled_from(["swap", "drop", "duplicate"]))
    out = list(tokens)
    i = draw(st.integers(0, n - 1))
    if op == "swap":
        j = draw(st.integers(0, n - 1))
        out[i], out[j] = (tokens[j][0], tokens[i][1]), (tokens[i][0], tokens[j][1])
        desc = f"swap {i} {j}"
    elif op == "drop":
        del out[i]
        desc = f"drop {i}"
    else:
        out.insert(i + 1, tokens[i])
        desc = f"duplicate {i}"
    return kind, tokens, out, desc


@given(mutation())
def test_mutations_flagged_exactly_when_oracle_rejects(m) -> None:
    kind, before, after, desc = m
    expected_valid = oracle(kind, after)
    assert flagged(kind, after) != expected_valid, (kind, desc, before, after,
                                                     validate(records(after), FACTS[kind]))


# The "always caught" classes, stated without the oracle.
PREREQ = {"C": "D", "P": "C", "A": "P", "G": "A", "N": "G", "O": "N", "W": "O", "Q": "W",
          "V": "Q", "J": "Q", "T": "V", "H": "T", "I": "T"}
CHAIN = "RDCPAGNOWQ"  # strictly ordered within an attempt (no misroute in these tickets)
ONCE = set("RLDECPSKAGNOWQVJTHZ")  # never twice in a row


@given(kind_and_ticket(), st.data())
def test_drop_of_a_needed_prerequisite_is_caught(kt, data) -> None:
    kind, tokens = kt
    needed = [
        i for i, (c, k) in enumerate(tokens[:-1])
        if any(PREREQ.get(d) == c and kk == k
               and (c, k) not in tokens[:i] + tokens[i + 1:j]
               for j, (d, kk) in enumerate(tokens) if j > i)
        and (kind != "engineering" or c not in "PA")  # a misroute may repeat the route
        and not (c == "C" and k >= 2)  # classified is optional in a second pass
    ]
    if needed:
        i = data.draw(st.sampled_from(needed))
        assert flagged(kind, tokens[:i] + tokens[i + 1:])


@given(kind_and_ticket(), st.data())
def test_duplicate_of_a_non_repeatable_event_is_caught(kt, data) -> None:
    kind, tokens = kt
    i = data.draw(st.integers(0, len(tokens) - 1))
    if tokens[i][0] in ONCE:
        assert flagged(kind, tokens[: i + 1] + tokens[i:])


@given(kind_and_ticket(), st.data())
def test_swap_of_strictly_ordered_events_is_caught(kt, data) -> None:
    kind, tokens = kt
    if kind == "engineering" and any(c == "M" for c, _ in tokens):
        return
    pairs = [(i, j) for i, (a, k) in enumerate(tokens) for j, (b, kk) in enumerate(tokens)
             if i < j and k == kk and a in CHAIN and b in CHAIN and a != b]
    if pairs:
        i, j = data.draw(st.sampled_from(pairs))
        out = list(tokens)
        out[i], out[j] = (tokens[j][0], tokens[i][1]), (tokens[i][0], tokens[j][1])
        assert flagged(kind, out)
