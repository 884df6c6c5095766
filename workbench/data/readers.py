"""Readers for Parquet, Excel and JSON files.

Excel cells and JSON values are turned into canonical text (:func:`cell_to_text`) and typed as
delimited text is (:func:`workbench.data.coltypes.type_column`), so a file reads the same in any
of these formats. Parquet columns keep the types the file gives them.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import pandas as pd
import pyarrow as pa

from workbench.data.coltypes import POOL, InvalidColumn, InvalidValues, ParsedFile, type_column
from workbench.data.decoding import decode_text
from workbench.data.headers import check_width, clean_column_names
from workbench.errors import DataImportError, Problem, first_line

MAX_PROBLEMS = 100
#: Deepest nesting of objects and arrays accepted in a JSON file (a record is depth 1).
MAX_JSON_DEPTH = 32


def cell_to_text(value: Any) -> str | None:
    """Canonical text for a value from Excel or JSON, so that typing is the same for all.

    Args:
        value: A cell or JSON value.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if pd.isna(value):
            return None
        return str(int(value)) if value.is_integer() and abs(value) < 1e18 else repr(value)
    if isinstance(value, pd.Timestamp | datetime):
        if (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0):
            return value.strftime("%Y-%m-%d")
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    if value is pd.NaT or (not isinstance(value, str) and pd.isna(value)):
        return None
    return str(value)


def table_from_rows(
    header: Sequence[Any],
    rows: list[list[Any]],
    invalid: InvalidValues = "text",
    lines: Sequence[int] | None = None,
    filename: str = "The file",
) -> ParsedFile:
    """Type rows of cells (from Excel or JSON) as delimited text would be typed.

    Args:
        header: The headers as found in the file.
        rows: The rows, each as long as the header.
        invalid: What to do with values that do not fit their column's type.
        lines: The file row (or record number) of each row, for messages.
        filename: Used in messages only.

    Returns:
        The typed table, with ``original_headers`` and ``invalid_values``.
    """
    check_width(len(header), filename)
    names, originals = clean_column_names(header)
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    typed: list[pa.ChunkedArray] = []
    findings: list[InvalidColumn] = []
    for name, values in zip(names, columns, strict=True):
        text = pa.array([cell_to_text(v) for v in values], type=pa.string(), memory_pool=POOL)
        column, finding = type_column(text, name, invalid, lines)
        typed.append(column)
        if finding is not None:
            findings.append(finding)
    table = pa.Table.from_arrays(typed, names=names)
    return ParsedFile(table, {"invalid_values": findings, "original_headers": originals})


def read_parquet(data: bytes, filename: str) -> ParsedFile:
    """Read a Parquet file, keeping its column types."""
    import pyarrow.parquet as pq

    try:
        # An Arrow buffer, not a Python file object: after reading through a Python file
        # object, Arrow's thread pool can abort the process as it exits.
        table = pq.read_table(pa.BufferReader(data))
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise DataImportError(
            f"{filename} cannot be read as Parquet.",
            [Problem(first_line(exc), file=filename)],
            hint="Check that the file is a complete Parquet file.",
        ) from exc
    if table.num_columns == 0:
        raise DataImportError(
            f"{filename} is empty.", [Problem("the Parquet file has no columns", file=filename)]
        )
    if table.num_rows == 0:
        raise DataImportError(
            f"{filename} has columns but no rows of data.",
            [Problem("no rows", file=filename)],
            hint="Choose a file with at least one row of data.",
        )
    frame = table.to_pandas(types_mapper=_arrow_types_mapper)
    names, originals = clean_column_names(list(table.column_names))
    frame.columns = names
    return ParsedFile(frame, {"original_headers": originals})


def _arrow_types_mapper(arrow_type: pa.DataType) -> Any:
    if pa.types.is_date32(arrow_type) or pa.types.is_date64(arrow_type):
        return pd.ArrowDtype(pa.date32())
    if pa.types.is_integer(arrow_type):
        return pd.Int64Dtype()
    if pa.types.is_boolean(arrow_type):
        return pd.BooleanDtype()
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return pd.StringDtype()
    return None


def read_excel(
    data: bytes, filename: str, sheet: str | int | None, invalid: InvalidValues = "text"
) -> ParsedFile:
    """Read one sheet of an Excel workbook (the first by default), typing its columns."""
    try:
        sheets = pd.ExcelFile(io.BytesIO(data), engine="calamine")
    except Exception as exc:  # any reader failure means an unreadable workbook
        raise DataImportError(
            f"{filename} cannot be read as an Excel workbook.",
            [Problem(first_line(exc), file=filename)],
            hint="Check that the file is a complete .xlsx or .xls workbook, or save it as CSV.",
        ) from exc
    with sheets:
        names = [str(n) for n in sheets.sheet_names]
        target: str | int = 0 if sheet is None else sheet
        if isinstance(target, int) and not 0 <= target < len(names):
            target = -1
        if (isinstance(target, str) and target not in names) or target == -1:
            raise DataImportError(
                f"{filename} has no sheet {sheet!r}.",
                [Problem(f"sheet {sheet!r} not found", file=filename)],
                hint=f"Choose one of its sheets: {', '.join(names)}.",
            )
        sheet_name = names[target] if isinstance(target, int) else target
        try:
            raw = sheets.parse(sheet_name, header=None, dtype=object)
        except Exception as exc:  # any reader failure means an unreadable sheet
            raise DataImportError(
                f"{filename} cannot be read: sheet {sheet_name!r} is unreadable.",
                [Problem(first_line(exc), file=filename)],
            ) from exc
    raw = raw.dropna(how="all").dropna(axis=1, how="all")
    if raw.empty:
        raise DataImportError(
            f"{filename} is empty: sheet {sheet_name!r} has no header and no rows.",
            [Problem("empty sheet", file=filename)],
            hint="Choose a sheet with a header row and at least one row of data.",
        )
    sheet_rows = [int(i) + 1 for i in raw.index[1:]]
    records = raw.to_numpy(dtype=object).tolist()
    header, rows = records[0], records[1:]
    if not rows:
        raise DataImportError(
            f"{filename} has a header but no rows of data in sheet {sheet_name!r}.",
            [Problem("header only, no rows", file=filename, row=1)],
            hint="Choose a sheet with at least one row of data below the header.",
        )
    header = [cell_to_text(h) for h in header]
    parsed = table_from_rows(header, rows, invalid=invalid, lines=sheet_rows, filename=filename)
    parsed.attrs["sheet"] = sheet_name
    return parsed


def _records_table(
    records: list[dict[str, Any]],
    invalid: InvalidValues = "text",
    numbers: Sequence[int] | None = None,
    filename: str = "The file",
) -> ParsedFile:
    keys: dict[str, None] = {}
    for record in records:
        for key in record:
            keys.setdefault(key, None)
    header = list(keys)
    rows = [[record.get(key) for key in header] for record in records]
    lines = numbers if numbers is not None else range(1, len(records) + 1)
    return table_from_rows(header, rows, invalid=invalid, lines=list(lines), filename=filename)


def read_json(data: bytes, filename: str, fmt: str, invalid: InvalidValues = "text") -> ParsedFile:
    """Read a JSON list of records or JSON Lines (``fmt`` ``jsonl``), typing their values."""
    text, _ = decode_text(data, filename)
    if not text.strip():
        raise DataImportError(
            f"{filename} is empty.",
            [Problem("the file has no records", file=filename)],
            hint="Choose a file with at least one record.",
        )
    problems: list[Problem] = []
    records: list[dict[str, Any]] = []
    numbers: list[int] = []
    if fmt == "jsonl":
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                problems.append(Problem(f"is not valid JSON: {exc.msg}", file=filename, row=number))
                continue
            except RecursionError as exc:
                raise _too_deep(filename, number) from exc
            if _json_depth(value, MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
                raise _too_deep(filename, number)
            if not isinstance(value, dict):
                problems.append(
                    Problem(
                        f"is a JSON {type(value).__name__}, not an object (a record)",
                        file=filename,
                        row=number,
                    )
                )
                continue
            records.append(value)
            numbers.append(number)
            if len(problems) >= MAX_PROBLEMS:
                break
    else:
        try:
            value = json.loads(text)
        except RecursionError as exc:
            raise _too_deep(filename, None) from exc
        except json.JSONDecodeError as exc:
            raise DataImportError(
                f"{filename} is not valid JSON.",
                [Problem(f"{exc.msg} (line {exc.lineno}, column {exc.colno})", file=filename)],
                hint="Check the file is complete JSON: a list of records such as "
                '[{"id": 1, "name": "..."}].',
            ) from exc
        if not isinstance(value, list):
            raise DataImportError(
                f"{filename} is not a list of records.",
                [Problem(f"the top level is a JSON {_json_kind(value)}", file=filename)],
                hint='Import JSON as a list of records such as [{"id": 1, "name": "..."}], or '
                "as JSON Lines with one record per line.",
            )
        for number, item in enumerate(value, start=1):
            if _json_depth(item, MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
                raise _too_deep(filename, number)
            if isinstance(item, dict):
                records.append(item)
                numbers.append(number)
            elif len(problems) < MAX_PROBLEMS:
                problems.append(
                    Problem(
                        f"is a JSON {_json_kind(item)}, not an object (a record)",
                        file=filename,
                        row=number,
                    )
                )
    if problems:
        raise DataImportError(
            f"{filename} is not a list of records.",
            problems,
            hint='Every item must be an object such as {"id": 1, "name": "..."}.',
        )
    if not records:
        raise DataImportError(
            f"{filename} has no records.",
            [Problem("no records", file=filename)],
            hint="Choose a file with at least one record.",
        )
    return _records_table(records, invalid, numbers, filename)


def _json_depth(value: Any, limit: int) -> int:
    """The nesting depth of a JSON value (a scalar is 0), counted up to ``limit + 1``."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)] if isinstance(value, dict | list) else []
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > limit:
            break
        children = item.values() if isinstance(item, dict) else item
        stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
    return deepest


def _too_deep(filename: str, row: int | None) -> DataImportError:
    return DataImportError(
        f"{filename} nests objects or arrays more than {MAX_JSON_DEPTH} levels deep.",
        [Problem(f"nested more than {MAX_JSON_DEPTH} levels deep", file=filename, row=row)],
        hint="Flatten the records (one object per record, with values or shallow lists) and "
        "import again.",
    )


def _json_kind(value: Any) -> str:
    return {
        dict: "object",
        list: "array",
        str: "string",
        int: "number",
        float: "number",
        bool: "boolean",
    }.get(type(value), "null")
