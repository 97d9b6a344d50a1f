"""What every CLI command pays before it starts: Alembic loads only for `db upgrade` (and the demo), not for a
board or a recommendation (Big Blue Bus replay: importing it for `schema_problem` cost each command ~0.2-0.3 s
CPU, on a 2-core machine under load more than a second of wall time)."""

from __future__ import annotations

import subprocess
import sys


def test_the_cli_starts_without_importing_alembic() -> None:
    code = "import sys, depotdispatch.cli; print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
