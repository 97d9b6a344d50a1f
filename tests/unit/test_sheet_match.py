"""How a sheet's block cell is read (domain/sheet_match.py): the id, the block name, the id in another case,
an alias cut at separators either way; a cut inside a part never; several candidates never guessed."""

from __future__ import annotations

from dataclasses import replace

from depotdispatch.domain.sheet_match import BlockMatch, SheetBlocks
from tests.unit.fakes import block

BARRIE = "3fda1888-74ca-431d-b314-e0f86cde718f"
MTA = "MTA NYCT_KB_E5-Sunday_D_KB_21180_BX9-11"


def blocks() -> SheetBlocks:
    ids = [BARRIE, "5bf2f98a-bac5-4564-bb91-65729ecf75ef", MTA, "KB_E5-Sunday_D_KB_21181_BX9-11", "7017X",
           "4187802-WKD", "4187802-SAT", "7803"]
    found = {b: block(b, 6, 10) for b in ids}
    found["7803"] = replace(found["7803"], block_name="217")
    return SheetBlocks(found)


def test_each_way_a_sheet_names_a_block() -> None:
    named = blocks()
    assert named.match("7803") == BlockMatch("7803")
    assert named.match(" 217 ") == BlockMatch("7803", "block_name")
    assert named.match("7017x") == BlockMatch("7017X", "case")
    assert named.match("3fda1888") == BlockMatch(BARRIE, "alias")  # the first group of a UUID
    assert named.match("KB_E5-Sunday_D_KB_21180_BX9-11") == BlockMatch(MTA, "alias")  # the feed prefix dropped
    assert named.match("MTA NYCT_7803") == BlockMatch("7803", "alias")  # a prefix the schedule does not have
    assert named.match("7803").sentence("7803") is None
    assert named.match("217").sentence("217") == "the sheet's '217' read as block 7803 (its block name)"


def test_never_a_cut_inside_a_part_never_a_guess() -> None:
    named = blocks()
    assert named.match("7017") == BlockMatch(None)  # not 7017X
    assert named.match("3fda18") == BlockMatch(None)  # half a group of the UUID
    assert named.match("4187802") == BlockMatch(None, "alias", ("4187802-SAT", "4187802-WKD"))
    assert named.match("BX9-11").candidates == ("KB_E5-Sunday_D_KB_21181_BX9-11", MTA)


def test_a_cell_that_names_nothing_is_explained_by_the_ids_it_starts() -> None:
    from depotdispatch.domain.sheet_match import unmatched_detail

    named = blocks()
    assert named.starting_with("7017") == ("7017X",) and named.starting_with(" 418780 ") == ("4187802-SAT",
                                                                                              "4187802-WKD")
    assert named.starting_with("kb_e5") == ("KB_E5-Sunday_D_KB_21181_BX9-11",) and named.starting_with("9") == ()
    assert named.match("7017") == BlockMatch(None)  # still never guessed
    assert unmatched_detail("418780", named.starting_with("418780")) == (
        "'418780' is the start of 2 blocks' ids (4187802-SAT, 4187802-WKD), so it could be any of them: write the "
        "whole block id")
    assert unmatched_detail("7017", ("7017X",)) == ("no block '7017' on this day; block 7017X's id starts with it: "
                                                    "write the whole block id")
    assert unmatched_detail("999", ()) == "no block '999' on this day"
    many = SheetBlocks({f"30{i:02d}": block(f"30{i:02d}", 6, 10) for i in range(10)})
    assert unmatched_detail("30", many.starting_with("30")).startswith(
        "'30' is the start of 10 blocks' ids (3000, 3001, 3002, 3003, 3004, 3005 and 4 more)")
