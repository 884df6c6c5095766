"""SQL helpers. Identifiers are quoted here and only here; values are always bound parameters.

SQL is composed from a template whose ``{name}`` placeholders are filled with quoted identifiers
(:func:`compose`), and run as named steps (:func:`run_step`, :class:`SqlSteps`) so that a failure
says which step failed and shows its SQL, raised as :class:`~workbench.errors.SqlStepError`.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterable, Sequence
from typing import Any

import duckdb

from workbench.errors import SqlStepError, ValidationError

log = logging.getLogger(__name__)

_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_PLACEHOLDER_RE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
SQL_SHOWN_CHARS = 240


class Sql(str):
    """SQL text that is safe to put into other SQL as it is: a quoted identifier or composed SQL.

    Plain strings given to :func:`compose` are quoted as identifiers; ``Sql`` passes through.
    Wrap constant SQL written in the code (never text from a user or the data) in ``Sql``.
    """

    __slots__ = ()


SqlPart = str | Sql | Sequence[str]


def quote_ident(name: str) -> Sql:
    """Quote an SQL identifier (table, column or schema name) for DuckDB.

    Any text is safe: embedded double quotes are doubled.

    Args:
        name: The identifier as the user or the data gave it.

    Returns:
        The identifier wrapped in double quotes.
    """
    if not isinstance(name, str) or name == "":
        raise ValidationError("An SQL identifier must be a non-empty string.")
    if "\x00" in name:
        raise ValidationError("An SQL identifier cannot contain a NUL character.")
    return Sql('"' + name.replace('"', '""') + '"')


def qualified(schema: str, name: str) -> Sql:
    """Return ``"schema"."name"`` with both parts quoted."""
    return Sql(f"{quote_ident(schema)}.{quote_ident(name)}")


def _part(value: SqlPart) -> str:
    if isinstance(value, Sql):
        return value
    if isinstance(value, str):
        return quote_ident(value)
    if isinstance(value, Sequence) and not isinstance(value, (bytes, bytearray)):
        if not value:
            raise ValidationError("An SQL identifier list must not be empty.")
        return ", ".join(_part(v) for v in value)
    raise ValidationError(f"Cannot put a {type(value).__name__} into SQL as an identifier.")


def compose(template: str, /, **parts: SqlPart) -> Sql:
    """Fill the ``{name}`` placeholders of an SQL template with quoted identifiers.

    Plain strings are quoted with :func:`quote_ident`; a list of strings becomes a comma-separated
    list of quoted identifiers; :class:`Sql` (quoted names, :func:`qualified` names, SQL composed
    earlier, :func:`placeholders`) goes in as it is. Values never go in here: bind them as
    parameters. Other braces (struct literals, regular expressions) are left alone.

    Args:
        template: Constant SQL with ``{name}`` placeholders.
        **parts: The identifier or fragment for each placeholder.

    Returns:
        The composed SQL.

    Raises:
        ValidationError: When a placeholder has no part or a part is not an identifier.
    """
    missing = sorted({m for m in _PLACEHOLDER_RE.findall(template) if m not in parts})
    if missing:
        raise ValidationError(f"The SQL template lacks parts for {', '.join(missing)}.")
    filled = {k: _part(v) for k, v in parts.items()}
    return Sql(_PLACEHOLDER_RE.sub(lambda m: filled[m.group(1)], template))


def placeholders(count: int) -> Sql:
    """``?, ?, ?``: one bound-parameter placeholder per value, for ``IN (...)`` lists."""
    if count < 1:
        raise ValidationError("An SQL parameter list needs at least one value.")
    return Sql(", ".join("?" for _ in range(count)))


def int_literal(value: int) -> Sql:
    """An integer written into SQL, for the few clauses that take no bound parameter.

    DuckDB wants a constant in some places (the size of ``USING SAMPLE reservoir(n ROWS)``);
    everywhere else values are bound.

    Raises:
        ValidationError: When ``value`` is not an integer.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"Cannot write a {type(value).__name__} into SQL as an integer.")
    return Sql(str(value))


def shorten_sql(sql: str, limit: int = SQL_SHOWN_CHARS) -> str:
    """SQL on one line (runs of white space collapsed), cut to ``limit`` characters."""
    flat = " ".join(sql.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def run_step(
    con: duckdb.DuckDBPyConnection,
    name: str,
    sql: str,
    params: Sequence[Any] | dict[str, Any] | None = None,
    *,
    hint: str | None = None,
) -> duckdb.DuckDBPyConnection:
    """Run one named SQL step with bound parameters.

    Args:
        con: The connection or cursor to run it on.
        name: The step in plain words, shown when it fails.
        sql: The statement; identifiers composed with :func:`compose`, values as ``?``.
        params: The values bound to the placeholders.
        hint: What the user can do when the step fails.

    Returns:
        The connection after execution, to fetch results from.

    Raises:
        SqlStepError: When the database refuses or fails the statement; names the step and
            shows its SQL.
    """
    try:
        if params is None:
            return con.execute(sql)
        return con.execute(sql, params)
    except duckdb.Error as exc:
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise SqlStepError(name, shorten_sql(sql), reason, hint) from exc


class SqlSteps:
    """Run a sequence of named SQL steps on one connection, timing each.

    Args:
        con: The connection or cursor the steps run on.
        prefix: Put before each step's name (for example "journeys: ").
        hint: What the user can do when a step fails.
    """

    def __init__(
        self, con: duckdb.DuckDBPyConnection, prefix: str = "", hint: str | None = None
    ) -> None:
        self.con = con
        self.prefix = prefix
        self.hint = hint
        self.timings: dict[str, float] = {}

    def run(
        self, name: str, sql: str, params: Sequence[Any] | dict[str, Any] | None = None
    ) -> duckdb.DuckDBPyConnection:
        """Run one step (see :func:`run_step`) and record how long it took."""
        label = self.prefix + name
        start = time.perf_counter()
        result = run_step(self.con, label, sql, params, hint=self.hint)
        self.timings[label] = time.perf_counter() - start
        log.debug("sql step %s: %.3fs", label, self.timings[label])
        return result

    def scalar(
        self, name: str, sql: str, params: Sequence[Any] | dict[str, Any] | None = None
    ) -> Any:
        """Run one step and return the first column of its first row (None when no rows)."""
        rows = self.run(name, sql, params).fetchall()
        return rows[0][0] if rows else None

    def run_all(self, steps: Iterable[tuple[str, str, Sequence[Any] | None]]) -> None:
        """Run ``(name, sql, params)`` steps in order, stopping at the first failure."""
        for name, sql, params in steps:
            self.run(name, sql, params)


def check_dataset_name(name: str) -> str:
    """Validate a dataset name: lower-case letters, digits and underscores, starting with a letter.

    Args:
        name: The proposed name.

    Returns:
        The name, unchanged, when valid.

    Raises:
        ValidationError: When the name is not acceptable, saying what would be.
    """
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise ValidationError(
            f"{name!r} is not a valid dataset name.",
            hint="Use 1 to 63 lower-case letters, digits and underscores, starting with a letter "
            "(for example police_2024).",
        )
    return name


def suggest_dataset_name(text: str) -> str:
    """Turn any text (such as a file name) into a valid dataset name."""
    stem = re.sub(r"\.[A-Za-z0-9]+$", "", text.strip())
    slug = re.sub(r"[^a-z0-9]+", "_", stem.lower()).strip("_")
    if not slug or not slug[0].isalpha():
        slug = f"dataset_{slug}".rstrip("_")
    return slug[:63]
