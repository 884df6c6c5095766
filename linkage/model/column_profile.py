"""What the data says about each column, for suggesting a model: a profile of its values
(:func:`profile_columns`), columns copied or made from others (:func:`find_derived_columns`),
and whether first name and surname are swapped in some records (:func:`names_swapped`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

from workbench.sql import Sql, compose, quote_ident

_UK_POSTCODE = r"^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}$"
#: The postcode pattern as an SQL string literal (a constant of the code, holding no quote).
_UK_POSTCODE_SQL = "'" + _UK_POSTCODE + "'"


def _sample(table: str, rows: int, seed: int) -> Sql:
    """A repeatable random sample of ``rows`` rows of ``table``, as a subquery.

    DuckDB takes only constants in a sample clause, so the row count and seed go into the SQL
    as integer literals (never text).
    """
    return compose(
        "(SELECT * FROM {t} USING SAMPLE reservoir({rows} ROWS) REPEATABLE ({seed}))",
        t=table,
        rows=Sql(str(int(rows))),
        seed=Sql(str(int(seed))),
    )


@dataclass
class ColumnProfile:
    """What the suggestion knows about one column.

    Attributes:
        column: The column name.
        dtype: DuckDB type name.
        completeness: Share of records with a value.
        distinct: Number of distinct values.
        top_share: Share of the commonest value among records with a value (skew).
        contains_at: Share of values containing ``@`` (e-mail addresses).
        single_letter: Share of values that are one letter (an initial).
        uk_postcode: Share of values shaped like a UK postcode (text columns).
    """

    column: str
    dtype: str
    completeness: float
    distinct: int
    top_share: float
    contains_at: float = 0.0
    single_letter: float = 0.0
    uk_postcode: float = 1.0

    @property
    def kind(self) -> str:
        """``string``, ``numeric``, ``date`` or ``other``."""
        t = self.dtype.upper()
        if t.startswith(("VARCHAR", "STRING", "TEXT")):
            return "string"
        if t.startswith(("DATE", "TIMESTAMP")):
            return "date"
        if any(
            t.startswith(p)
            for p in (
                "INT",
                "BIGINT",
                "SMALLINT",
                "TINYINT",
                "HUGEINT",
                "DOUBLE",
                "FLOAT",
                "DECIMAL",
                "REAL",
                "UBIGINT",
                "UINTEGER",
                "USMALLINT",
                "UTINYINT",
            )
        ):
            return "numeric"
        return "other"


def profile_columns(
    con: duckdb.DuckDBPyConnection,
    columns: Sequence[str],
    sample_rows: int | None = None,
    table: str = "records",
) -> list[ColumnProfile]:
    """Profile columns of the ``records`` table, all columns in one pass.

    Args:
        con: A connection holding the stacked input as ``records``.
        columns: The columns to profile.
        sample_rows: Profile a repeatable random sample of this many rows when the table is
            larger (completeness, skew and the e-mail share are shares, so a sample of a few
            hundred thousand rows gives them to well under a percent). Distinct counts are
            always taken over the whole table, so no column looks constant by chance.
        table: The table to profile.

    Returns:
        One profile per column.
    """
    types = dict(
        con.execute(
            compose("SELECT column_name, column_type FROM (DESCRIBE {t})", t=table)
        ).fetchall()
    )
    total = con.execute(compose("SELECT count(*) FROM {t}", t=table)).fetchall()[0][0] or 1
    source: Sql = quote_ident(table)
    if sample_rows is not None and total > sample_rows:
        source = _sample(table, int(sample_rows), seed=1)
        total = int(sample_rows)
    if not columns:
        return []
    selects = []
    for i, col in enumerate(columns):
        is_text = str(types[col]).upper().startswith("VARCHAR")
        zero = Sql("0")
        shares_of = {
            "at": compose("avg(CASE WHEN contains({c}, '@') THEN 1 ELSE 0 END)", c=col),
            "one": compose("avg(CASE WHEN length({c}) = 1 THEN 1 ELSE 0 END)", c=col),
            "pc": compose(
                "avg(CASE WHEN regexp_matches({c}, " + _UK_POSTCODE_SQL + ") THEN 1 ELSE 0 END)",
                c=col,
            ),
        }
        selects.append(
            compose(
                "count({c}) AS {nn}, {at} AS {at_as}, {one} AS {one_as}, {pc} AS {pc_as}",
                c=col,
                nn=f"nn_{i}",
                at=shares_of["at"] if is_text else zero,
                at_as=f"at_{i}",
                one=shares_of["one"] if is_text else zero,
                one_as=f"one_{i}",
                pc=shares_of["pc"] if is_text else zero,
                pc_as=f"pc_{i}",
            )
        )
    distincts_sql = Sql(
        ", ".join(
            compose("approx_count_distinct({c}) AS {d}", c=c, d=f"d_{i}")
            for i, c in enumerate(columns)
        )
    )
    con.execute(
        compose("CREATE OR REPLACE TEMP TABLE __profile_rows AS SELECT * FROM {s}", s=source)
    )
    try:
        shares = con.execute(
            compose("SELECT {selects} FROM __profile_rows", selects=Sql(", ".join(selects)))
        ).fetchall()[0]
        distincts = con.execute(
            compose("SELECT {d} FROM {t}", d=distincts_sql, t=table)
        ).fetchall()[0]
        tops = []
        for col in columns:
            tops.append(
                con.execute(
                    compose(
                        "SELECT coalesce(max(n), 0) FROM (SELECT count(*) n FROM __profile_rows "
                        "WHERE {c} IS NOT NULL GROUP BY {c})",
                        c=col,
                    )
                ).fetchall()[0][0]
            )
    finally:
        con.execute("DROP TABLE IF EXISTS __profile_rows")
    out = []
    for i, col in enumerate(columns):
        non_null, at_share = shares[4 * i], shares[4 * i + 1]
        one_share, pc_share = shares[4 * i + 2], shares[4 * i + 3]
        distinct, top = distincts[i], tops[i]
        out.append(
            ColumnProfile(
                column=col,
                dtype=str(types[col]),
                completeness=non_null / total,
                distinct=int(distinct or 0),
                top_share=(top / non_null) if non_null else 0.0,
                contains_at=float(at_share or 0.0),
                single_letter=float(one_share or 0.0),
                uk_postcode=float(pc_share or 0.0),
            )
        )
    return out


def _norm_sql(expr: Sql) -> Sql:
    return compose(
        "nullif(regexp_replace(upper(CAST({e} AS VARCHAR)), '[^A-Z0-9]', '', 'g'), '')", e=expr
    )


def find_derived_columns(
    con: duckdb.DuckDBPyConnection,
    columns: Sequence[str],
    sample_rows: int = 100_000,
    min_share: float = 0.9,
) -> dict[str, str]:
    """Columns whose values are, record by record, copies of other columns or made from them.

    A ``first_and_surname`` column beside ``first_name`` and ``surname``, a second copy of the
    date of birth, a year of birth beside the date: comparing such a column as well as its
    source counts the same evidence twice (and corrupts training, which sees the pair agree
    together far more than independence allows). Each ``other_*`` column is tested against
    every other column and against the name and date combinations a system might store,
    ignoring case, spaces and punctuation.

    Args:
        con: A connection holding the stacked input as ``records``.
        columns: The model columns present.
        sample_rows: Rows tested (a repeatable sample on larger inputs).
        min_share: Share of records (with both values) that must agree for a column to count
            as derived.

    Returns:
        Each derived column and a description of its source, such as ``first_name + surname``.
    """
    present = set(columns)
    sources: list[tuple[str, Sql]] = []
    for col in columns:
        sources.append((col, quote_ident(col)))
    names = [c for c in ("first_name", "middle_names", "surname") if c in present]
    combos = [
        ["first_name", "surname"],
        ["surname", "first_name"],
        ["first_name", "middle_names", "surname"],
        ["surname", "first_name", "middle_names"],
    ]
    for combo in combos:
        if all(c in names for c in combo):
            sources.append((" + ".join(combo), compose("concat_ws(' ', {parts})", parts=combo)))
    if "dob" in present:
        sources += [
            ("dob", compose("strftime(CAST({d} AS DATE), '%Y%m%d')", d="dob")),
            ("dob", compose("strftime(CAST({d} AS DATE), '%d%m%Y')", d="dob")),
            ("year of dob", compose("year(CAST({d} AS DATE))", d="dob")),
        ]
    candidates = [c for c in columns if c.startswith("other_") and not c.startswith("other_id_")]
    if not candidates:
        return {}
    total = int(con.execute("SELECT count(*) FROM records").fetchall()[0][0])
    source_sql: Sql = quote_ident("records")
    if total > sample_rows:
        source_sql = _sample("records", int(sample_rows), seed=3)
    found: dict[str, str] = {}
    for cand in candidates:
        tests = [
            (label, sql) for label, sql in sources if label != cand and sql != quote_ident(cand)
        ]
        if not tests:
            continue
        x = _norm_sql(quote_ident(cand))
        selects = []
        for i, (_, sql) in enumerate(tests):
            e = _norm_sql(sql)
            selects.append(
                compose(
                    "count(CASE WHEN {x} IS NOT NULL AND {e} IS NOT NULL THEN 1 END) AS {n}, "
                    "count(CASE WHEN {x} = {e} THEN 1 END) AS {k}",
                    x=x,
                    e=e,
                    n=f"n_{i}",
                    k=f"k_{i}",
                )
            )
        row = con.execute(
            compose("SELECT {selects} FROM {s}", selects=Sql(", ".join(selects)), s=source_sql)
        ).fetchall()[0]
        for i, (label, _) in enumerate(tests):
            both, same = int(row[2 * i] or 0), int(row[2 * i + 1] or 0)
            if both >= 20 and same >= min_share * both:
                found[cand] = label
                break
    return found


#: Fewest pairs with first name and surname exchanged for a names-swapped level to be worth it.
MIN_SWAPPED_PAIRS = 5


def names_swapped(con: duckdb.DuckDBPyConnection, present: set[str]) -> bool:
    """Whether some records hold first name and surname the other way round from others.

    Counts pairs of records whose first name is the other's surname and the reverse. With
    fewer than :data:`MIN_SWAPPED_PAIRS` the data has no swaps to learn from, and a swap level
    would stay untrained.

    Args:
        con: A connection holding the stacked input as ``records``.
        present: Columns with values.
    """
    if not {"first_name", "surname"} <= present:
        return False
    found = con.execute(
        "SELECT count(*) FROM (SELECT 1 FROM records l JOIN records r "
        "ON l.first_name = r.surname AND l.surname = r.first_name "
        "WHERE l.first_name <> l.surname LIMIT ?)",
        [MIN_SWAPPED_PAIRS],
    ).fetchall()[0][0]
    return int(found) >= MIN_SWAPPED_PAIRS
