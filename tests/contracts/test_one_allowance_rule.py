"""The pull-in/pull-out allowance rule is written once, in `Depot.allowance` (domain/depots.py, with the
overrides per route and first/last stop of domain/allowances.py; issue 14, DESIGN §12a): which blocks take
allowances (those timed by their trips) and which do not (yard-timed ones state their yard times already), and
which rule's minutes and km a block takes (its first or last stop's, its route's, the depot's). It was written
apart four times, two ways: the yard time, the charging plan's stays, the seam's window and the yard view, each
reading the depot's minutes itself; a module reading the depot's own minutes or km would now also miss the
route and stop overrides.

Read from the source with ast: no module but domain/depots.py reads `pull_out_allowance_min`,
`pull_in_allowance_min` or their `_km` as an attribute (`depot.pull_out_allowance_min`). The settings' names
as strings (the settings document, the CLI and API that set them, the typed settings dict) are not readings of
the rule; a module that went through `getattr(depot, "pull_out_" + ...)` would slip past it."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "depotdispatch"
HOME = "domain/depots.py"
NAMES = frozenset({"pull_out_allowance_min", "pull_in_allowance_min", "pull_out_allowance_km",
                   "pull_in_allowance_km"})


def readings(source: str) -> list[tuple[int, str]]:
    """(line, expression) for each attribute read of an allowance setting in `source`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr in NAMES and isinstance(node.ctx, ast.Load):
            found.append((node.lineno, ast.unparse(node)))
    return sorted(found)


def test_only_the_depot_reads_the_allowance_minutes() -> None:
    by_module = {path.relative_to(SRC).as_posix(): readings(path.read_text()) for path in SRC.rglob("*.py")}
    assert by_module[HOME], "depots.py no longer reads the settings: this test looks for the wrong thing"
    strays = {m: found for m, found in by_module.items() if found and m != HOME}
    assert strays == {}, "the allowances read outside Depot.allowance (call it, or allowances/deadhead): " + "; ".join(
        f"{m}:{line} {text}" for m, found in strays.items() for line, text in found)


def test_the_check_sees_a_direct_reading() -> None:
    source = ("end = depart - timedelta(minutes=depot.pull_out_allowance_min)\n"
              "keys = ('pull_in_allowance_min', 'pull_out_allowance_km')\n"
              "back = t + timedelta(minutes=self.depot.pull_in_allowance_min)\n"
              "x = d.pull_out_allowance_km\n"
              "y = getattr(d, 'pull_in_allowance_km')\n")
    assert [line for line, _ in readings(source)] == [1, 3, 4]
