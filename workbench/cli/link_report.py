"""What ``workbench link`` says on stderr: the narrator and progress bar, and the lines that
describe the column roles, the model, the threshold and the health check.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from typing import Any

from workbench.cli.common import log, say_error
from workbench.errors import WorkbenchError

_WIDTH = 100


def wrap_text(text: str, first: str, rest: str) -> str:
    """Wrap ``text`` to the report width; ``first`` starts the first line, ``rest`` the others."""
    import textwrap

    return textwrap.fill(
        text, width=_WIDTH, initial_indent=first, subsequent_indent=rest, break_on_hyphens=False
    )


class Narrator:
    """The account of a link run, written to stderr once linking has worked.

    Held back until then so a failure still ends in one line; ``-q`` silences it.
    """

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.held: list[str] = []

    def add(self, lines: Sequence[str]) -> None:
        if self.enabled:
            self.held.extend(lines)

    def flush(self) -> None:
        for line in self.held:
            say_error(line)
        self.held = []


class ProgressBar:
    """A progress bar on stderr for one long step, fed ``(message, fraction)`` callbacks.

    Drawn with tqdm when stderr is a terminal; otherwise (and with ``-q``) nothing is drawn, so
    logs and pipes stay clean. With ``-v`` each message is logged as well.
    """

    def __init__(self, enabled: bool, title: str) -> None:
        self.title = title
        self.bar: Any = None
        self.message = ""
        if enabled and sys.stderr.isatty():
            try:
                from tqdm import tqdm
            except ImportError:  # tqdm comes with the forecasting stack; a bar is optional
                return
            self.bar = tqdm(
                total=100,
                desc=title,
                file=sys.stderr,
                leave=True,
                dynamic_ncols=True,
                bar_format="{desc:<60.60} {bar} {percentage:3.0f}% {elapsed}",
            )

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            if exc[0] is None:
                self.bar.set_description_str(self.title)
                self.bar.update(100 - self.bar.n)
            self.bar.close()

    def __call__(self, message: str, fraction: float) -> None:
        if message != self.message:
            log.info(message)
            self.message = message
        if self.bar is None:
            return
        self.bar.set_description_str(f"{self.title}: {message}")
        target = round(100 * min(max(float(fraction), 0.0), 1.0))
        if target > self.bar.n:
            self.bar.update(target - self.bar.n)
        else:
            self.bar.refresh()


def _role_name(role: Any) -> str:
    return str(getattr(role, "value", role)).replace("_", " ")


def role_lines(
    item: Any,
    frame: Any,
    stored: dict[str, Any],
    overrides: dict[str, str],
    exclude: Sequence[str],
    unique_id: str | None,
) -> list[str]:
    """The role of each column of one input, and why."""
    from workbench.persons.roles import Role

    suggested = {} if stored else dict(getattr(item, "suggestions", None) or {})
    lines = [f"Input {item.name}: {len(frame):,} records, {len(frame.columns)} columns"]
    width = max((len(str(c)) for c in frame.columns), default=0)
    for column in [str(c) for c in frame.columns]:
        role = item.roles.get(column, Role.IGNORE)
        if column in exclude:
            why = "the truth column (--labels-column): only for measuring, never compared"
        elif column in overrides:
            why = "set with --role"
        elif role is Role.RECORD_ID and column == unique_id:
            why = "named with --unique-id"
        elif role is Role.RECORD_ID and item.id_column == column and column not in suggested:
            why = "the record id column"
        elif stored:
            why = "the role saved for this dataset in the workspace"
        else:
            hint = suggested.get(column)
            why = hint.reason if hint is not None else "no role suggested"
            if hint is not None and hint.role is Role.RECORD_ID and role is Role.IGNORE:
                why = (
                    f"{why}; not used as the record id (only a column named unique_id or id, "
                    "or one given with --unique-id, is), so records are numbered by row"
                )
            elif hint is not None and hint.role != role:
                why = f"{why}; changed to {_role_name(role)} when the roles were checked together"
        first = f"  {column:<{width}}  {_role_name(role):<12}  "
        lines.append(wrap_text(why, first, " " * (len(first) if len(first) <= 48 else 6)))
    for note in getattr(item, "notes", None) or []:
        lines.append(wrap_text(note, "  note: ", " " * 8))
    return lines


def _rule_columns(label: str) -> set[str]:
    from linkage.model.model_spec import parse_expression

    out = set()
    for part in label.split("+"):
        try:
            out.add(parse_expression(part)[1])
        except WorkbenchError:
            continue
    return out


def model_lines(model: Any, model_path: str | None) -> list[str]:
    """Comparisons with their levels and weights, blocking rules and the training plan."""
    settings = model.settings_dict()
    spec = model.spec
    kinds = {c.column: c for c in spec.comparisons} if spec is not None else {}
    objects = list(model.linker._settings_obj.comparisons)
    comparisons = settings.get("comparisons", [])
    lines = [f"Comparisons ({len(comparisons)}), with the match weight of each level:"]
    uses: dict[str, set[str]] = {}
    for i, comp in enumerate(comparisons):
        name = str(comp.get("output_column_name"))
        known = kinds.get(name)
        kind = known.kind if known is not None else comp.get("comparison_description", "")
        note = f": {known.note}" if known is not None and known.note else ""
        lines.append(wrap_text(f"{name} ({kind}){note}", "  ", " " * 6))
        levels = objects[i].comparison_levels if i < len(objects) else []
        sql = " ".join(str(lv.get("sql_condition", "")) for lv in comp["comparison_levels"])
        uses[name] = set(re.findall(r'"?([A-Za-z_][A-Za-z0-9_]*)_l"?', sql)) | {name}
        for level in levels:
            if level.is_null_level:
                continue
            weight = level._match_weight
            shown = f"{weight:+6.1f}" if weight is not None else "     ?"
            lines.append(f"      {shown}  {level.label_for_charts}")
    rules = settings.get("blocking_rules_to_generate_predictions", [])
    lines.append(f"Blocking rules ({len(rules)}): a pair is scored when any of them holds")
    if spec is not None:
        for rule in spec.blocking_rules:
            count = (
                f"{rule.estimated_comparisons:>12,} comparisons"
                if rule.estimated_comparisons is not None
                else "   (not counted)"
            )
            lines.append(f"  {rule.label():<60} {count}")
    else:
        for rule in rules:
            text = rule.get("blocking_rule") if isinstance(rule, dict) else str(rule)
            lines.append(f"  {text}")
    lines.append("Training:")
    if spec is None:
        lines.append(f"  none: the model was loaded from {model_path}")
        return lines
    plan = spec.training
    prior = " or ".join(r.label() for r in plan.prior_rules) or "no rule"
    chance = settings.get("probability_two_random_records_match")
    odds = f" (1 in {1 / chance:,.0f})" if chance else ""
    lines.append(
        wrap_text(
            f"the chance two random records match{odds}, from the pairs agreeing on {prior}, "
            f"taken to be {plan.prior_recall:.0%} of all matches",
            "  prior: ",
            " " * 9,
        )
    )
    lines.append(
        f"  u (chance agreement): from up to {int(plan.u_max_pairs):,} random pairs "
        f"(seed {plan.u_seed})"
    )
    done = {s.blocking_rule: s for s in model.em_sessions}
    planned = [r.label() for r in plan.em_rules]
    labels = planned + [label for label in done if label not in planned]
    for k, label in enumerate(labels, start=1):
        fixed = _rule_columns(label)
        free = [c for c, cols in uses.items() if not cols & fixed]
        held = [c for c, cols in uses.items() if cols & fixed]
        session = done.get(label)
        if session is None:
            status = "did not run"
        else:
            status = (
                f"{session.iterations} iterations, "
                f"{'converged' if session.converged else 'did not converge'}, "
                f"{session.seconds:.1f} s"
            )
        text = (
            f"estimates m for {', '.join(free) or 'nothing'}"
            + (f" ({', '.join(held)} held fixed)" if held else "")
            + f"; {status}"
        )
        lines.append(wrap_text(text, f"  EM session {k}, blocked on {label}: ", " " * 6))
    for warning in model.warnings:
        lines.append(wrap_text(warning, "  warning: ", " " * 11))
    return lines


def threshold_lines(result: Any, requested: float | None) -> list[str]:
    """Report lines saying which threshold was used and why."""
    reason = getattr(result, "threshold_reason", "") or (
        "Given with --threshold." if requested is not None else "The default."
    )
    return [
        f"Threshold: match probability {result.threshold:g}",
        wrap_text(reason, "  why: ", " " * 7),
    ]


def health_lines(report: Any) -> list[str]:
    """Report lines for each health-check finding and what to change."""
    lines = [f"Health check ({report.seconds:.1f} s): {report.summary()}"]
    for finding in report.findings:
        lines.append(wrap_text(finding.headline(), f"  {finding.severity:<8} ", " " * 11))
        lines.append(wrap_text(finding.advice, " " * 11 + "change: ", " " * 19))
    return lines
