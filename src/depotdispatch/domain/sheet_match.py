"""Which block a dispatch sheet's block cell means (DESIGN §5 Import: what people really send).

Agencies write a block as their own papers do, not always as the schedule's id: `4187802` for the GTFS
`4187802-WKD` (a day-type suffix dropped), `KB_E5-Sunday_D_KB_21180_BX9-11` for a feed's
`MTA NYCT_KB_E5-Sunday_D_KB_21180_BX9-11` (the feed prefix dropped, or the other way round), the first
group of a UUID (`3fda1888` for Barrie's `3fda1888-74ca-431d-...`), the feed's human block name (`217`).
A cell matches, in this order: the id; the block name; the id in another case; an *alias*, where one of
the two is the other with whole parts cut off at separators (`-`, `_`, `/`, `.`, `:`, `#`, a space).
A cut inside a part never matches (`7017` is not `7017X`), and a cell that could be several blocks is an
error naming them: a sheet is never guessed. This is stricter than find_block (a typed prefix of any
length, for the CLI and API), because a sheet's cell was not typed as a prefix.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from depotdispatch.domain.days import DayBlock

_SEPARATORS = re.compile(r"[-_/.:#\s]+")
HOWS = ("block_name", "case", "alias")


@dataclass(frozen=True)
class BlockMatch:
    block_id: str | None  # None: no block, or several (see candidates)
    how: str | None = None  # None: the id itself; else one of HOWS
    candidates: tuple[str, ...] = ()  # when the cell could be several blocks

    def sentence(self, written: str) -> str | None:
        """The match in words, for the preview row; None when the cell is the block's id."""
        if self.block_id is None or self.how is None:
            return None
        why = {"block_name": "its block name", "case": "its id in another case",
               "alias": "its id with parts cut off at separators"}[self.how]
        return f"the sheet's {written!r} read as block {self.block_id} ({why})"


def _parts(text: str) -> Iterator[str]:
    """Every run of whole parts of `text` (cut at separators), but `text` itself, in lower case."""
    spans = [m.span() for m in re.finditer(r"[^-_/.:#\s]+", text)]
    for i in range(len(spans)):
        for j in range(i, len(spans)):
            if (i, j) != (0, len(spans) - 1):
                yield text[spans[i][0]:spans[j][1]].lower()


class SheetBlocks:
    """The day's blocks as a sheet may name them; built once per preview (a sheet can have 200k rows)."""

    def __init__(self, blocks: Mapping[str, DayBlock]) -> None:
        self.blocks = blocks
        self._names: dict[str, list[str]] | None = None
        self._folded: dict[str, list[str]] = {}
        self._runs: dict[str, set[str]] = {}
        self._sorted: list[tuple[str, str]] | None = None  # (id in lower case, id), for starting_with

    def match(self, text: str) -> BlockMatch:
        text = text.strip()
        if text in self.blocks:
            return BlockMatch(text)
        if self._names is None:
            self._index()
        assert self._names is not None
        for how, found in (("block_name", self._names.get(text, [])), ("case", self._folded.get(text.lower(), []))):
            if len(found) == 1:
                return BlockMatch(found[0], how)
            if found:
                return BlockMatch(None, how, tuple(sorted(found)))
        # the cell is a block id with parts cut off, or a block id with parts added
        found_set = set(self._runs.get(text.lower(), ()))
        found_set.update(b for run in _parts(text) for b in self._folded.get(run, []))
        if len(found_set) == 1:
            return BlockMatch(found_set.pop(), "alias")
        return BlockMatch(None, "alias" if found_set else None, tuple(sorted(found_set)))

    def starting_with(self, text: str) -> tuple[str, ...]:
        """The blocks whose id starts with `text` (in any case), as a person types an id on the command line:
        a cell that matched nothing is explained with them (a sheet is still never guessed)."""
        if self._sorted is None:
            self._sorted = sorted((b.lower(), b) for b in self.blocks)
        key = text.strip().lower()
        if not key:
            return ()
        found = []
        for folded, block_id in self._sorted[bisect_left(self._sorted, (key, "")):]:
            if not folded.startswith(key):
                break
            found.append(block_id)
        return tuple(sorted(found))

    def _index(self) -> None:
        names: dict[str, list[str]] = defaultdict(list)
        folded: dict[str, list[str]] = defaultdict(list)
        runs: dict[str, set[str]] = defaultdict(set)
        for block_id, b in self.blocks.items():
            if b.block_name:
                names[b.block_name].append(block_id)
            folded[block_id.lower()].append(block_id)
            if _SEPARATORS.search(block_id):
                for run in _parts(block_id):
                    runs[run].add(block_id)
        self._names, self._folded, self._runs = dict(names), dict(folded), dict(runs)


def _shown(candidates: tuple[str, ...]) -> str:
    return ", ".join(candidates[:6]) + (f" and {len(candidates) - 6} more" if len(candidates) > 6 else "")


def ambiguous_detail(written: str, m: BlockMatch) -> str:
    return f"{written!r} could be {len(m.candidates)} blocks ({_shown(m.candidates)}): write the whole block id"


def unmatched_detail(written: str, starting: tuple[str, ...]) -> str:
    """A cell that names no block of the day; the blocks whose id starts with it, when some do: '3079' is
    the start of several ids, not a block that is missing (the command line would say it is ambiguous)."""
    if len(starting) > 1:
        return (f"{written!r} is the start of {len(starting)} blocks' ids ({_shown(starting)}), so it could be any "
                "of them: write the whole block id")
    if starting:
        return f"no block {written!r} on this day; block {starting[0]}'s id starts with it: write the whole block id"
    return f"no block {written!r} on this day"
