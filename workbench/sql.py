"""SQL helpers. Identifiers are quoted here and only here; values are always bound parameters."""

from __future__ import annotations

import re

from workbench.errors import ValidationError

_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


def quote_ident(name: str) -> str:
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
    return '"' + name.replace('"', '""') + '"'


def qualified(schema: str, name: str) -> str:
    """Return ``"schema"."name"`` with both parts quoted."""
    return f"{quote_ident(schema)}.{quote_ident(name)}"


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
