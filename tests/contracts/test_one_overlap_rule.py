"""The overlap-and-turnaround rule is written once, in domain/turnaround.py (issue 11 item 6): no other module
compares a time plus a turnaround with another time. Read from the source with ast: a comparison one of
whose sides adds something named like a turnaround (`pull_in + turn`, `e + self.turn`,
`end + timedelta(minutes=depot.turnaround_min)`). It sees the rule written inline, which is how it was
copied before; a module that first stores the sum under another name would slip past it."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "depotdispatch"
HOME = "domain/turnaround.py"
# modules that still write it apart, each with who folds it into turnaround.py (the test fails once it is gone)
KNOWN: dict[str, str] = {}


def _adds_a_turnaround(node: ast.AST) -> bool:
    return isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) and \
        any("turn" in ast.unparse(side).lower() for side in (node.left, node.right))


def inline_rules(source: str) -> list[tuple[int, str]]:
    """(line, comparison) for each comparison in `source` with a time-plus-turnaround on one side."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare) and any(_adds_a_turnaround(x) for x in (node.left, *node.comparators)):
            found.append((node.lineno, ast.unparse(node)))
    return sorted(found)


def test_the_overlap_and_turnaround_rule_is_written_only_in_turnaround_py() -> None:
    by_module = {path.relative_to(SRC).as_posix(): inline_rules(path.read_text()) for path in SRC.rglob("*.py")}
    assert by_module[HOME], "turnaround.py no longer holds the rule: this test looks for the wrong thing"
    strays = {m: rules for m, rules in by_module.items() if rules and m != HOME and m not in KNOWN}
    assert strays == {}, "the overlap-and-turnaround rule written again (use domain/turnaround.py): " + "; ".join(
        f"{m}:{line} {text}" for m, rules in strays.items() for line, text in rules)
    gone = [m for m in KNOWN if not by_module.get(m)]
    assert gone == [], f"no longer written apart, take them off KNOWN: {gone}"


def test_the_check_sees_the_rule_written_inline() -> None:
    source = ("busy = held & (rows[:, 1] < e + self.turn) & (s < rows[:, 2] + self.turn)\n"
              "ok = b.pull_out >= a.pull_in + timedelta(minutes=depot.turnaround_min)\n"
              "fine = a.pull_out < b.pull_in and b.pull_out < a.pull_in\n"
              "also_fine = total + extra > limit\n")
    assert [line for line, _ in inline_rules(source)] == [1, 1, 2]
