"""Record keys for disclosure control: each journey's secret key and the SQL of cell keys.

A journey's record key is the MD5 of its id and the workspace's own secret salt; a cell key is
the sum of the record keys of the cases a count covers (see :mod:`workbench.disclosure.control`).
"""

from __future__ import annotations

import secrets

from workbench.disclosure.control import KEY_SPACE
from workbench.errors import MeasureError
from workbench.sql import Sql, compose
from workbench.workspace import Workspace

KEY_SALT_SETTING = "disclosure.record_key_salt"


def keyed_source(ws: Workspace, source: str) -> Sql:
    """``source`` with a ``_rk`` column: each journey's secret record key (0 to 2**32 - 1).

    The key is the MD5 of the journey id and the workspace's own secret salt (made on first
    use), so it stays the same across rebuilds and cannot be worked out from the journey id.
    Cell keys are sums of record keys (see :mod:`workbench.disclosure.control`).
    """
    ensure_key_salt(ws)
    return compose(
        "(SELECT j.*, md5_number_lower(j.journey_id || s.salt) % {space} AS _rk "
        "FROM {source} AS j CROSS JOIN (SELECT json_extract_string(value, '$') AS salt "
        "FROM {setting} AS setting) AS s)",
        space=Sql(str(int(KEY_SPACE))),
        source=Sql(source),
        setting=ws.setting_rows(KEY_SALT_SETTING),
    )


def ensure_key_salt(ws: Workspace) -> None:
    """Make the workspace's record-key salt if it has none yet."""
    if ws.get_setting(KEY_SALT_SETTING):
        return
    if ws.read_only:
        raise MeasureError(
            "This workspace has no disclosure-control key yet and is open read-only.",
            hint="Open it once with write access (for example `workbench init`).",
        )
    ws.set_setting(KEY_SALT_SETTING, secrets.token_hex(16))


def cell_key(condition: str | None = None) -> Sql:
    """The SQL of a cell key: the sum of record keys, optionally of the rows meeting a condition."""
    if condition is None:
        return compose("CAST(sum(_rk) % {space} AS BIGINT)", space=Sql(str(int(KEY_SPACE))))
    return compose(
        "CAST(sum(_rk) FILTER (WHERE {condition}) % {space} AS BIGINT)",
        condition=Sql(condition),
        space=Sql(str(int(KEY_SPACE))),
    )


def cell_key_as(name: str, keys: bool) -> Sql:
    """``, <cell key> AS name`` when ``keys``, else nothing."""
    return compose(", {key} AS {name}", key=cell_key(), name=name) if keys else Sql("")
