"""Read the CSV files people really send: any encoding we can recognise, any of , ; tab, aliases."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from depotdispatch.domain.errors import InvalidInput
from depotdispatch.domain.limits import MAX_LEN, MAX_TEXT, text_problem

MAX_FIELD = 10_000
_SUSPECT = re.compile(r"[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # control characters but line ends


@dataclass
class Table:
    name: str
    columns: list[str]  # canonical names, in file order (unknown columns keep their normalised name)
    rows: list[tuple[int, dict[str, str]]]  # (line number in the file, canonical column -> stripped text)
    warnings: list[str] = field(default_factory=list)


def normalise_header(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.strip().lower()).strip("_")


def _undecodable(data: bytes, exc: UnicodeDecodeError, encoding: str, name: str) -> InvalidInput:
    line = data[: exc.start].decode(encoding, errors="replace").count("\n") + 1
    return InvalidInput(f"is not valid {encoding.upper()} text (byte {exc.start + 1} cannot be read)",
                        file=name, row=line)


def decode(data: bytes, name: str) -> tuple[str, list[str]]:
    """The text of a file: UTF-8 (with or without BOM), UTF-16 with a BOM, else Windows-1252 (warned)."""
    for bom, encoding in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if data.startswith(bom):
            body = data[len(bom):]
            try:
                return body.decode(encoding), []
            except UnicodeDecodeError as exc:
                raise _undecodable(body, exc, encoding, name) from exc
    if b"\x00" in data[:4096]:
        raise InvalidInput("is a binary file, not CSV text", file=name)
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise InvalidInput("is neither UTF-8 nor Windows-1252 text", file=name,
                           row=data[: exc.start].count(b"\n") + 1) from exc
    return text, [f"{name} is not UTF-8; read it as Windows-1252"]


def _delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_table(
    data: bytes | str,
    name: str,
    *,
    aliases: Mapping[str, str],
    required: Sequence[str] = (),
) -> Table:
    """Parse `data` into rows keyed by canonical column names.

    `aliases` maps normalised header names (lower case, non-alphanumerics as '_') to canonical ones;
    a canonical name maps to itself implicitly. Errors name the file, row and column.
    """
    text, warnings = (data, []) if isinstance(data, str) else decode(data, name)
    lines = text.splitlines()
    first = next((ln for ln in lines if ln.strip()), None)
    if first is None:
        raise InvalidInput("is empty", file=name)
    suspect = _SUSPECT.search(text) is not None  # one scan of the file; the cells are looked at only if so
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first))
    csv.field_size_limit(MAX_FIELD)
    header: list[str] | None = None
    rows: list[tuple[int, dict[str, str]]] = []
    canonical_set = set(aliases.values())
    try:
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue
            if header is None:
                header = []
                for raw in record:
                    key = normalise_header(raw)
                    key = aliases.get(key, key)
                    header.append(key)
                dupes = sorted({h for h in header if h and header.count(h) > 1 and h in canonical_set})
                if dupes:
                    raise InvalidInput(f"the header names {dupes[0]!r} twice (or two aliases of it)", file=name,
                                       row=reader.line_num, column=dupes[0])
                missing = [c for c in required if c not in header]
                if missing:
                    raise InvalidInput(
                        f"no {missing[0]!r} column; the header has: {', '.join(h for h in header if h) or 'nothing'}",
                        file=name, row=reader.line_num, column=missing[0])
                continue
            values = {h: cell.strip() for h, cell in zip(header, record, strict=False) if h}
            for column, value in values.items():
                field_ = column if column in canonical_set else ""
                if (suspect or len(value) > MAX_LEN.get(field_, MAX_TEXT) or "\n" in value or "\r" in value) and (
                        problem := text_problem(value, field_)):
                    raise InvalidInput(problem, file=name, row=reader.line_num, column=column)
            rows.append((reader.line_num, values))
    except csv.Error as exc:
        raise InvalidInput(f"is not valid CSV ({exc})", file=name, row=reader.line_num) from exc
    return Table(name=name, columns=header or [], rows=rows, warnings=warnings)


def parse_float(text: str, *, column: str, row: int, file: str) -> float | None:
    if text is None or text == "":
        return None
    try:
        value = float(text.replace(",", ".")) if text.count(",") == 1 and "." not in text else float(text)
    except ValueError as exc:
        raise InvalidInput(f"{text!r} is not a number", file=file, row=row, column=column) from exc
    if value != value or value in (float("inf"), float("-inf")):
        raise InvalidInput(f"{text!r} is not a finite number", file=file, row=row, column=column)
    return value
