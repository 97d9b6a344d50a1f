"""The CLI reads and writes through the services, never through a repository (issue 11 item 8): no
`cli_commands/` module touches a repository of a unit of work (`uow.days`, `app.uow().plans`, an alias of
one). Read from the source with ast; the repositories' names come from the UnitOfWork protocol itself, so
a new repository is covered without editing this test."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "depotdispatch"


def repositories() -> set[str]:
    """The repositories the UnitOfWork protocol declares: annotated attributes or read-only properties."""
    tree = ast.parse((SRC / "services" / "unit_of_work.py").read_text())
    uow = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "UnitOfWork")
    fields = {s.target.id for s in uow.body if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)}
    return fields | {s.name for s in uow.body if isinstance(s, ast.FunctionDef)
                     and any(isinstance(d, ast.Name) and d.id == "property" for d in s.decorator_list)}


def _is_uow_call(node: ast.AST) -> bool:
    """`<anything>.uow()`: the App's unit-of-work factory called."""
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "uow"


def repository_reads(source: str, repos: set[str]) -> list[tuple[int, str]]:
    """(line, what) for every repository reached from a unit of work in `source`: on a `.uow()` call
    directly, or on a name bound to one (`with app.uow() as u`, `u = app.uow()`, or a name `uow`)."""
    tree = ast.parse(source)
    bound = {"uow"}
    for node in ast.walk(tree):
        if isinstance(node, ast.withitem) and _is_uow_call(node.context_expr) and \
                isinstance(node.optional_vars, ast.Name):
            bound.add(node.optional_vars.id)
        elif isinstance(node, ast.Assign) and _is_uow_call(node.value):
            bound |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in repos and \
                (_is_uow_call(node.value) or (isinstance(node.value, ast.Name) and node.value.id in bound)):
            found.append((node.lineno, ast.unparse(node)))
    return sorted(found)


def test_no_cli_command_reads_a_repository() -> None:
    repos = repositories()
    assert {"days", "plans", "readings", "fleet"} <= repos  # the protocol was read, not an empty set
    strays = [f"cli_commands/{path.name}:{line} {what}"
              for path in sorted((SRC / "cli_commands").glob("*.py"))
              for line, what in repository_reads(path.read_text(), repos)]
    assert strays == [], "a repository read in the CLI (ask a service instead): " + "; ".join(strays)


def test_the_check_sees_each_way_of_reaching_a_repository() -> None:
    """The detector itself: each form below is a repository read, the service calls are not."""
    repos = repositories()
    source = (
        "def a():\n    with cli.state.app.uow() as u:\n        return u.days.blocks_for_dates(1, 2, 3)\n"
        "def b():\n    return cli.state.app.uow().plans.version(4)\n"
        "def c():\n    w = app.uow()\n    r = w.readings\n    return r\n"
        "def d(uow):\n    return uow.fleet.vehicles('X')\n"
        "def fine():\n    return days.setup_day(cli.state.app.uow(), 'X', d, now), svc.plans(1), t.days\n")
    assert [what for _, what in repository_reads(source, repos)] == ["u.days", "cli.state.app.uow().plans",
                                                                     "w.readings", "uow.fleet"]
