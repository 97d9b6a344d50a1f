"""What each re-plan move gains, in an operator's words (DESIGN §12b: a re-plan "shows each move and what
it gains"). A move's own gain is what it changes in blocks covered and covered by EVs (the moves' gains add up
to the re-plan's); a move that frees its vehicle says for which block, and what that block's move gains."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from depotdispatch.domain.blocks import block_label


@dataclass(frozen=True)
class Move:
    block_id: str
    from_vehicle: str | None  # None: the block has no vehicle now
    to_vehicle: str | None  # None: the block loses its vehicle (to cover more elsewhere)
    explanation: str  # why this vehicle (the recommendation's words), or what taking it off is for
    gain: str = ""  # what the move gains, in words
    covered: int = 0  # its own change in blocks covered ...
    ev_covered: int = 0  # ... and in blocks covered by EVs


def _delta(n: int, what: str) -> str:
    return f"{n:+d} {what}"


def _own(m: Move) -> str:
    parts = [_delta(m.covered, "covered")] if m.covered else []
    if m.ev_covered:
        parts.append(_delta(m.ev_covered, "by EV"))
    return ", ".join(parts)


def with_gains(moves: Sequence[Move], is_ev: Mapping[str, bool], only_non_ev: Collection[str],
               not_ok_now: Mapping[str, str] | None = None, names: Mapping[str, str] | None = None) -> list[Move]:
    """The moves with their gains. `only_non_ev`: blocks no EV can run, even fully charged. `not_ok_now`: block
    id -> the verdict of the bus on it now, when not ok, in words ("not viable on it: arrives at pull-in with
    12 % ..."): a move off it keeps the block ok, even where the counts do not change (the demo's move of a
    block off a bus that would pull in at 12 % read "E106 instead of E112; frees E112 for ...", nothing more).
    `names`: the feed's block names (for the block a freed vehicle goes to, said as blocks.block_label says it)."""
    not_ok = not_ok_now or {}
    counted = [Move(m.block_id, m.from_vehicle, m.to_vehicle, m.explanation, "",
                    (m.to_vehicle is not None) - (m.from_vehicle is not None),
                    bool(is_ev.get(m.to_vehicle or "")) - bool(is_ev.get(m.from_vehicle or ""))) for m in moves]
    gets = {m.to_vehicle: m for m in counted if m.to_vehicle is not None}
    out = []
    for m in counted:
        f, t = m.from_vehicle, m.to_vehicle
        if f is None:
            words = f"covers it with {'EV ' if is_ev.get(t or '') else ''}{t}"
        elif t is None:
            words = f"takes {f} off it"
        elif m.ev_covered > 0:
            words = f"EV {t} instead of {f}"
        elif m.ev_covered < 0:
            words = f"{t} instead of EV {f}"
        else:
            words = f"{t} instead of {f}"
        own = _own(m)
        sentence = f"{words}: {own}" if own else words
        if f is not None and t is not None and m.block_id in not_ok:  # as services/replan._kept_ok says it
            sentence += f"{'; ' if own else ': '}keeps it ok ({f} would be {not_ok[m.block_id]})"
        freed = gets.get(f) if f is not None else None
        if freed is not None and freed.block_id != m.block_id:
            why = ", which no EV can run" if freed.block_id in only_non_ev else ""
            to = block_label(freed.block_id, (names or {}).get(freed.block_id))
            sentence += f"; frees {f} for {to}{why}" + (f": {_own(freed)}" if _own(freed) else "")
        elif not own and m.block_id not in not_ok:
            sentence += ": no gain by itself"
        out.append(Move(m.block_id, f, t, m.explanation or sentence, sentence, m.covered, m.ev_covered))
    return out
