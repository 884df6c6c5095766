"""The one error hierarchy of the workbench.

Every error a user can cause derives from :class:`WorkbenchError`. Pages and the command line
catch this one class and render ``str(error)``: a plain sentence saying what is wrong and what to
do. Anything else reaching the top is a bug.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


def first_line(exc: BaseException) -> str:
    """The first line of ``exc``'s message, or its class name when the message is empty.

    Engines (DuckDB, Spark, Splink) put stack traces and SQL after the first line; a message
    for a user quotes only the sentence that says what went wrong.
    """
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class WorkbenchError(Exception):
    """Base class of every error the workbench reports to a user.

    Args:
        message: What is wrong, in plain language.
        hint: What the user can do about it.
    """

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message} {self.hint}"
        return self.message


@dataclass(frozen=True)
class Problem:
    """One problem found while validating input, located as precisely as possible."""

    message: str
    file: str | None = None
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(f"file {self.file!r}")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column!r}")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


class ValidationError(WorkbenchError):
    """Input failed validation. Collects every problem found and is raised once.

    Args:
        message: A summary of what failed.
        problems: Each problem with its file, row and column where known.
        hint: What the user can do about it.
    """

    def __init__(
        self, message: str, problems: list[Problem] | None = None, hint: str | None = None
    ) -> None:
        super().__init__(message, hint)
        self.problems = list(problems or [])

    def __str__(self) -> str:
        text = super().__str__()
        if not self.problems:
            return text
        shown = self.problems[:10]
        lines = [text, *(f"  - {p}" for p in shown)]
        if len(self.problems) > len(shown):
            lines.append(f"  - … and {len(self.problems) - len(shown)} more")
        return "\n".join(lines)


class DataImportError(ValidationError):
    """A file could not be imported. Nothing was written to the workspace."""


class InvalidValuesError(DataImportError):
    """Columns hold values nearly all of one type (dates, numbers) and some that are not.

    The file can be imported again with those values as missing, or with the columns as text.

    Args:
        message: A summary of what failed.
        problems: One problem per column, with the count and examples of its invalid values.
        hint: What the user can do about it.
        findings: The columns found (``workbench.data.coltypes.InvalidColumn`` items).
    """

    def __init__(
        self,
        message: str,
        problems: list[Problem] | None = None,
        hint: str | None = None,
        findings: list[Any] | None = None,
    ) -> None:
        super().__init__(message, problems, hint)
        self.findings = list(findings or [])


class DatasetExistsError(WorkbenchError):
    """A dataset of that name exists already and would be overwritten."""


class DatasetNotFoundError(WorkbenchError):
    """No dataset of that name is in the workspace."""


class WorkspaceError(WorkbenchError):
    """The workspace file cannot be opened or used (locked, newer schema, unreadable)."""


class WorkspaceBusyError(WorkspaceError):
    """Another program (such as a second server) holds the workspace file's lock."""


class RoleError(WorkbenchError):
    """Column roles are invalid (unknown role, unknown column, conflicting assignment)."""


class SqlStepError(WorkbenchError):
    """A named SQL step failed in the database. The message names the step and shows its SQL.

    Args:
        step: The step's name, in plain words (for example "stage the police records").
        sql: The step's SQL, trimmed to a readable length.
        reason: The database's own explanation (its first line).
        hint: What the user can do about it.
    """

    def __init__(self, step: str, sql: str, reason: str, hint: str | None = None) -> None:
        super().__init__(f"The step “{step}” failed: {reason} (SQL: {sql})", hint)
        self.step = step
        self.sql = sql
        self.reason = reason


class LinkageError(WorkbenchError):
    """A linkage model cannot be built, trained or applied to the data given."""


class JourneyError(WorkbenchError):
    """The journey table cannot be built or read (missing datasets, no clusters, no table)."""


class MeasureError(WorkbenchError):
    """A measure cannot be computed with the parameters given (unknown grouping or interval)."""


class ForecastError(WorkbenchError):
    """A forecast or scenario cannot be made (too little history, no data, bad settings)."""


class AccessDeniedError(WorkbenchError):
    """The current user is not allowed to do this."""


class ExportError(WorkbenchError):
    """A chart, table or story cannot be exported in the format asked for."""


class AuthError(WorkbenchError):
    """A login or session was refused (wrong password, locked account, ended session)."""
