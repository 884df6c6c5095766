"""What the model health check reports: findings with a severity, and the report holding them.

Severities:

- ``serious``: the results are probably wrong (``workbench link --strict`` fails on these);
- ``warning``: worth a look before the results are used;
- ``info``: a measurement worth knowing (the estimated blocking recall, for example).

The checks themselves are run by :func:`linkage.quality.health.check_model`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

SERIOUS = "serious"
WARNING = "warning"
INFO = "info"
SEVERITIES = (SERIOUS, WARNING, INFO)


@dataclass
class Finding:
    """One problem (or measurement) found by the health check.

    Attributes:
        check: Which check found it (``untrained``, ``order``, ``extreme``, ``sessions``,
            ``redundant``, ``blocking_recall``, ``large_clusters``, ``weak_links``,
            ``not_run``).
        severity: ``serious``, ``warning`` or ``info``.
        message: What is wrong, in plain words.
        advice: The change to make.
        comparison: The comparison (output column) it names, or two joined by `` + ``.
        level: The comparison level it names, when it names one.
    """

    check: str
    severity: str
    message: str
    advice: str
    comparison: str | None = None
    level: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The finding as JSON-ready data."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        """Rebuild a finding from :meth:`to_dict` output."""
        return cls(
            check=str(data.get("check", "")),
            severity=str(data.get("severity", INFO)),
            message=str(data.get("message", "")),
            advice=str(data.get("advice", "")),
            comparison=data.get("comparison"),
            level=data.get("level"),
        )

    def headline(self) -> str:
        """The message, prefixed with the comparison and level it names."""
        where = self.comparison or ""
        if self.level:
            where = f"{where}, {self.level}" if where else self.level
        return f"{where}: {self.message}" if where else self.message


@dataclass
class HealthReport:
    """What the health check found.

    Attributes:
        findings: Serious findings first, then warnings, then notes.
        measures: Figures the checks measured (``blocking_recall``, ``likely_matches``, ...).
        seconds: Time the check took.
    """

    findings: list[Finding] = field(default_factory=list)
    measures: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def serious(self) -> list[Finding]:
        """The serious findings."""
        return [f for f in self.findings if f.severity == SERIOUS]

    @property
    def ok(self) -> bool:
        """Whether nothing serious was found."""
        return not self.serious

    def counts(self) -> dict[str, int]:
        """Findings per severity."""
        return {s: sum(1 for f in self.findings if f.severity == s) for s in SEVERITIES}

    def summary(self) -> str:
        """One line such as ``1 serious problem, 2 warnings and 1 note``."""
        c = self.counts()
        words = {
            SERIOUS: ("serious problem", "serious problems"),
            WARNING: ("warning", "warnings"),
            INFO: ("note", "notes"),
        }
        parts = [f"{c[s]} {words[s][c[s] != 1]}" for s in SEVERITIES if c[s]]
        if not parts:
            return "No problems found"
        if len(parts) == 1:
            return parts[0]
        return ", ".join(parts[:-1]) + " and " + parts[-1]

    def table(self) -> pd.DataFrame:
        """``severity``, ``comparison``, ``level``, ``message`` and ``advice`` per finding."""
        columns = ["severity", "comparison", "level", "message", "advice"]
        return pd.DataFrame(
            [{c: getattr(f, c) for c in columns} for f in self.findings], columns=columns
        )

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data (stored with a saved model)."""
        return {
            "findings": [f.to_dict() for f in self.findings],
            "measures": dict(self.measures),
            "seconds": round(float(self.seconds), 3),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HealthReport:
        """Rebuild a report from :meth:`to_dict` output."""
        return cls(
            findings=[Finding.from_dict(f) for f in data.get("findings") or []],
            measures=dict(data.get("measures") or {}),
            seconds=float(data.get("seconds") or 0.0),
        )


def saved_report(metrics: dict[str, Any] | None) -> HealthReport | None:
    """The health report stored in a saved model's metrics, if it has one.

    Args:
        metrics: The model's metrics (``linkage.clusters.registry.get_model(...)["metrics"]``).

    Returns:
        The report, or ``None`` for a model saved without one.
    """
    data = (metrics or {}).get("health")
    return HealthReport.from_dict(data) if isinstance(data, dict) else None
