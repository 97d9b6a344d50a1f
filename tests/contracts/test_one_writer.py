"""Each kind of state has one writer (issue 11): a day's blocks, the assignments and the plan version, a
schedule's applicability, a block's actuals. Read from the source itself, so a second writer fails here, not
in review."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "depotdispatch"

# repository write -> the one (module, function) allowed to call it
WRITERS = {
    ("days", "add_blocks"): ("services/days.py", "replace_day_blocks"),
    ("days", "replace_blocks"): ("services/days.py", "replace_day_blocks"),
    ("days", "remove_blocks"): ("services/days.py", "replace_day_blocks"),
    ("plans", "put_many"): ("services/plan.py", "save_plan"),
    ("plans", "remove_many"): ("services/plan.py", "save_plan"),
    ("plans", "bump_version"): ("services/plan.py", "save_plan"),
    ("schedules", "set_applicability"): ("services/applicability.py", "apply_applicability"),
    ("days", "set_actuals"): ("services/actuals.py", "write_actuals"),
    ("days", "set_seen_vehicle"): ("services/actuals.py", "write_actuals"),
    ("depots", "save_allowance"): ("services/allowances.py", "_write"),
    ("depots", "remove_allowance"): ("services/allowances.py", "_write"),
}


def calls_of_writers() -> list[tuple[str, str, str, str]]:
    """(module, enclosing function, repository, method) for every call `<x>.<repository>.<method>(...)` of
    a write above, outside the adapters that implement them."""
    found = []
    for path in SRC.rglob("*.py"):
        module = path.relative_to(SRC).as_posix()
        if module.startswith("adapters/"):
            continue

        class Visitor(ast.NodeVisitor):
            def __init__(self, module: str) -> None:
                self.module, self.stack = module, []

            def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
                self.stack.append(node.name)
                self.generic_visit(node)
                self.stack.pop()

            def visit_Call(self, node: ast.Call) -> None:
                f = node.func
                if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Attribute) and \
                        (f.value.attr, f.attr) in WRITERS:
                    found.append((self.module, self.stack[-1] if self.stack else "<module>", f.value.attr, f.attr))
                self.generic_visit(node)

        Visitor(module).visit(ast.parse(path.read_text(), str(path)))
    return found


def test_each_kind_of_state_has_one_writer() -> None:
    calls = calls_of_writers()
    strays = [c for c in calls if (c[0], c[1]) != WRITERS[(c[2], c[3])]]
    assert strays == [], "a second writer: " + "; ".join(f"{m}:{fn} calls {r}.{w}" for m, fn, r, w in strays)
    assert {(r, w) for _, _, r, w in calls} == set(WRITERS), "a writer this test guards is no longer called"

