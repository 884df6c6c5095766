"""The ``workbench`` command line: the same core as the app, headless.

Every command turns a :class:`~workbench.errors.WorkbenchError` into one line on stderr and exit
status 2; nothing prints a traceback for a mistake the user can fix.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from workbench.config import load_settings
from workbench.errors import ValidationError, WorkbenchError

log = logging.getLogger("workbench")

EXIT_OK = 0
EXIT_USER_ERROR = 2
EXIT_BUG = 1


def _out(text: str = "") -> None:
    sys.stdout.write(text + "\n")


def _open(args: argparse.Namespace, read_only: bool = False):
    from workbench.workspace import Workspace

    return Workspace(load_settings(args.workspace).workspace, read_only=read_only)


# ----------------------------------------------------------------------------- commands
def cmd_init(args: argparse.Namespace) -> int:
    """Create the workspace and load the sample data when it holds no datasets yet."""
    from workbench.data.catalogue import list_datasets
    from workbench.data.datasets import load_sample

    with _open(args) as ws:
        if args.sample and not list_datasets(ws):
            loaded = load_sample(ws, progress=lambda msg, _f: _out(f"  {msg}"))
            _out(f"Loaded {len(loaded)} sample datasets into {ws.path}.")
        else:
            count = len(list_datasets(ws))
            _out(f"Workspace {ws.path} is ready ({count} datasets).")
        if args.link:
            _link_on_init(ws)
    return EXIT_OK


def _link_on_init(ws: Any) -> None:
    """Link the workspace's data with the suggested model when no model exists yet.

    A failure is reported and leaves the workspace usable: the Start page offers the same
    linking with one click.
    """
    from linkage.clusters.registry import list_models
    from linkage.quickstart import link_and_build
    from linkage.workflow import linkable_datasets

    if not list_models(ws).empty or not linkable_datasets(ws):
        return
    _out("Linking the data with the suggested model (once; the analysis pages need it):")
    last = [""]

    def progress(message: str, _fraction: float) -> None:
        if message != last[0]:
            last[0] = message
            _out(f"  {message}")

    try:
        done = link_and_build(ws, progress=progress)
    except WorkbenchError as exc:
        _err(f"Linking did not finish: {exc}")
        _err("  The workspace is usable; link from the Start page or the Train page.")
        return
    people = done.run.metrics.get("n_people")
    _out(
        f"Linked into {people:,} people at match probability "
        f"{done.run.metrics.get('threshold', 0):g} and built {done.journeys.journeys:,} journeys."
    )


def cmd_sample(args: argparse.Namespace) -> int:
    """Generate synthetic police, CPS and court extracts with their truth files."""
    from workbench.sample.generate import DEFAULT_PEOPLE, ErrorProfile, generate_sample

    errors = None
    if args.errors:
        try:
            errors = ErrorProfile.from_dict(json.loads(Path(args.errors).read_text("utf-8")))
        except OSError as exc:
            raise ValidationError(
                f"Cannot read the error profile {args.errors}: {exc.strerror}."
            ) from exc
        except ValueError as exc:
            raise ValidationError(
                f"The error profile {args.errors} is not valid JSON: {exc}.",
                hint="Write it as an object of rate names to numbers between 0 and 1.",
            ) from exc
    end = _parse_date(args.end_date, "--end-date") if args.end_date else None
    summary = generate_sample(
        Path(args.out),
        people=DEFAULT_PEOPLE if args.people is None else args.people,
        seed=args.seed,
        end_date=end,
        errors=errors,
    )
    _out(
        f"Wrote {summary.people:,} people ({summary.start_date} to {summary.end_date}, "
        f"seed {summary.seed}) to {summary.out_dir}:"
    )
    _out(
        f"  first reported period from {summary.first_reported_date} (the years before are a "
        f"lead-in); pilot areas {', '.join(summary.pilot_areas)}"
    )
    for key, path in summary.files.items():
        _out(f"  {path.name:<24} {summary.rows.get(key, 0):>10,} rows")
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    """Import a file into the workspace, profile it and suggest column roles."""
    from workbench.data.datasets import add_file

    settings = load_settings(args.workspace)
    path = Path(args.path)
    with _open(args) as ws:
        info = add_file(
            ws,
            path,
            args.name,
            title=args.title,
            description=args.description,
            source_system=args.source_system,
            owner=args.owner,
            on_conflict="version" if args.new_version else "error",
            max_bytes=settings.max_import_bytes,
            sheet=args.sheet,
            invalid=args.invalid,
        )
    _out(
        f"Imported {path.name} as {info.name}: {info.row_count:,} rows, "
        f"{info.column_count} columns."
    )
    return EXIT_OK


def cmd_datasets(args: argparse.Namespace) -> int:
    """List (and search) the datasets in the catalogue."""
    from workbench.data.catalogue import list_datasets

    with _open(args, read_only=_exists(args)) as ws:
        items = list_datasets(ws, search=args.search)
    if not items:
        _out("No datasets match." if args.search else "The workspace holds no datasets yet.")
        return EXIT_OK
    width = max(len(d.name) for d in items)
    for d in items:
        title = d.title or ""
        _out(f"{d.name:<{width}}  {d.kind:<6}  {d.row_count or 0:>10,} rows  {title}")
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    """Show a dataset's catalogue entry, column dictionary and quality profile."""
    from workbench.data.catalogue import column_dictionary, get_dataset
    from workbench.data.profile import load_profile, profile_table

    with _open(args, read_only=_exists(args)) as ws:
        info = get_dataset(ws, args.name)
        dictionary = column_dictionary(ws, args.name)
        profile = load_profile(ws, args.name)
    _out(f"{info.name}: {info.title or ''}")
    for field in ("description", "source_system", "owner", "refresh_date", "row_count"):
        _out(f"  {field}: {getattr(info, field)}")
    _out(f"  source: {info.source_file} (sha256 {str(info.source_sha256)[:12]}…)")
    _out(f"  imported: {info.imported_at} by {info.imported_by}")
    _out("")
    _out(dictionary.to_string(index=False))
    if profile is not None:
        _out("")
        _out(profile_table(profile).to_string(index=False))
        if profile.note:
            _out(profile.note)
    return EXIT_OK


def cmd_roles(args: argparse.Namespace) -> int:
    """Show, change or confirm the column roles of a dataset."""
    from workbench.data.catalogue import get_dataset
    from workbench.persons.roles import load_roles, roles_table, save_roles

    with _open(args) as ws:
        get_dataset(ws, args.name)
        if args.set or args.confirm:
            roles = dict(load_roles(ws, args.name))
            for item in args.set or []:
                column, sep, role = item.partition("=")
                if not sep:
                    raise ValidationError(
                        f"--set {item!r} is not COLUMN=ROLE.",
                        hint="For example --set fname=first_name.",
                    )
                roles[column] = role
            save_roles(ws, args.name, roles, confirmed=True)
        table = roles_table(ws, args.name)
    _out(table.to_string(index=False))
    return EXIT_OK


def cmd_audit(args: argparse.Namespace) -> int:
    """Print the most recent audit log entries."""
    with _open(args, read_only=_exists(args)) as ws:
        frame = ws.audit_log(limit=args.limit)
    _out(frame.to_string(index=False) if len(frame) else "The audit log is empty.")
    return EXIT_OK


def cmd_link(args: argparse.Namespace) -> int:
    """Link CSV/Parquet files or datasets; write one row per record with its cluster id.

    On stderr it says what it did: the role of each input column and why, the comparisons and
    their levels, the blocking rules, the training plan, the threshold and the model's health
    check (``-q`` silences all of it). ``--strict`` exits 1 when the check finds a serious
    problem, after the output is written.
    """
    from linkage.inputs import (
        check_common_columns,
        linked_output,
        parse_role_overrides,
        prepare_input,
        read_input,
    )
    from linkage.service import link_frames
    from workbench.errors import LinkageError

    quiet = bool(getattr(args, "quiet", False))
    if quiet and not args.verbose:
        logging.getLogger().setLevel(logging.ERROR)
    if not args.verbose:  # Splink sets its own logger up when first imported
        logging.getLogger("splink").setLevel(logging.ERROR)
    say = _Narrator(enabled=not quiet)

    from linkage.backends import get_backend

    backend = get_backend(args.backend)
    backend.require()  # says how to install Spark, say, before any input is read
    if args.threshold is not None and not 0.0 <= args.threshold <= 1.0:
        raise LinkageError(
            f"--threshold {args.threshold} is not a probability.",
            hint="Give a match probability between 0 and 1, such as 0.9.",
        )
    out = Path(args.out)
    if out.suffix.lower() not in (".parquet", ".csv"):
        raise ValidationError(
            f"--out {args.out} must end in .parquet or .csv.",
            hint="For example --out linked.parquet",
        )
    overrides = parse_role_overrides(args.role or [])
    previous = None
    if args.previous:
        from linkage.clusters.linked_file import read_linked

        previous = read_linked(args.previous)
    elif args.full:
        raise ValidationError(
            "--full relinks against a previous run: give it with --previous PREV.parquet."
        )
    if args.source and (previous is None or args.full):
        raise ValidationError(
            "--source names the source of each new extract in a refresh (with --previous).",
            hint="Leave --source out, or refresh with --previous PREV.parquet.",
        )
    if args.source and len(args.source) != len(args.inputs):
        raise ValidationError(
            f"--source was given {len(args.source)} times for {len(args.inputs)} new extracts.",
            hint="Give one --source per new extract, in the same order, or none.",
        )
    if previous is not None and not args.full:
        return _cmd_refresh(args, previous, out, quiet)
    ws = None
    if any(not Path(i).exists() and not Path(i).suffix for i in args.inputs) and _exists(args):
        ws = _open(args, read_only=True)
    try:
        read = [read_input(spec, ws) for spec in args.inputs]
    finally:
        if ws is not None:
            ws.close()
    names = [name for name, _, _ in read]
    for i, name in enumerate(names):
        if names.index(name) != i:
            names[i] = f"{name}_{i + 1}"
    unknown = sorted(c for c in overrides if not any(c in f.columns for _, f, _ in read))
    if unknown:
        raise ValidationError(
            f"--role names column(s) no input has: {', '.join(unknown)}.",
            hint="Use the column names as they appear in the input files.",
        )
    exclude: tuple[str, ...] = ()
    if args.labels_column:
        lacking = [
            n for n, (_, f, _) in zip(names, read, strict=True) if args.labels_column not in f
        ]
        if lacking:
            raise ValidationError(
                f"--labels-column {args.labels_column!r} is not in {', '.join(lacking)}.",
                hint="Name a column holding the true person id in every input.",
            )
        exclude = (args.labels_column,)
    inputs = []
    with _ProgressBar(say.enabled, "Standardising the inputs") as bar:
        for k, (name, (_, frame, stored)) in enumerate(zip(names, read, strict=True)):
            bar(f"Standardising {name}", k / len(read))
            inputs.append(
                prepare_input(
                    name,
                    frame,
                    stored_roles=stored,
                    overrides=overrides,
                    unique_id=args.unique_id,
                    exclude=exclude,
                )
            )
        bar("Inputs ready", 1.0)
    for item, (_, frame, stored) in zip(inputs, read, strict=True):
        say.add(_role_lines(item, frame, stored, overrides, exclude, args.unique_id))
    for note in check_common_columns(inputs):
        log.warning(note)
    frames = [i.standardised for i in inputs]
    if args.labels_column:
        frames = [
            f.assign(_truth=i.raw[args.labels_column].astype("string").to_numpy())
            for f, i in zip(frames, inputs, strict=True)
        ]
    try:
        with _ProgressBar(say.enabled, "Linking") as bar:
            result = link_frames(
                frames,
                link_type=args.link_type,
                model_json=args.model,
                threshold=_threshold_argument(args.threshold, link_frames),
                labels_column="_truth" if args.labels_column else None,
                progress=bar,
                backend=backend.name,
                work_dir=Path(args.workspace) if getattr(args, "workspace", None) else None,
            )
    except WorkbenchError:
        raise
    except Exception as exc:  # a Splink or DuckDB failure: one line, details with -v
        log.debug("linking failed", exc_info=True)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise LinkageError(
            f"Linking failed: {first}",
            hint="Check the roles of the input columns (--role), or run with -v for details.",
        ) from exc
    say.add(_model_lines(result.model, args.model))
    say.add(_threshold_lines(result, args.threshold))
    health = None
    if say.enabled or args.strict:
        from linkage.quality.health import check_model

        with _ProgressBar(say.enabled, "Health check") as bar:
            health = check_model(
                result.model,
                result.pairs,
                result.clusters,
                threshold=result.threshold,
                progress=bar,
            )
        say.add(_health_lines(health))
    if args.save_model:
        try:
            result.model.linker.misc.save_model_to_json(args.save_model, overwrite=True)
        except OSError as exc:
            raise ValidationError(
                f"Cannot write the model to {args.save_model}: {exc.strerror}."
            ) from exc
    from linkage.clusters import change_report, linked_file, run_inputs

    table = linked_output(inputs, result.clusters)
    settings = (
        json.loads(Path(args.model).read_text(encoding="utf-8"))
        if args.model
        else result.model.linker.misc.save_model_to_json()
    )
    edges = linked_file.edges_to_rows(result.pairs, table, result.threshold)
    report = None
    if previous is not None:
        report = change_report.relink_report(
            previous, table, edges, settings=settings, threshold=result.threshold
        )
    say.flush()
    linked_file.write_linked(
        out,
        linked_file.LinkedRun(
            table=table,
            standardised=run_inputs.standardised_rows(inputs, table),
            edges=edges,
            meta=linked_file.link_metadata(
                settings, result.threshold, run_inputs.sources_meta(inputs)
            ),
        ),
    )
    s = result.summary
    from linkage.quality.evaluate import describe_people, people_counts

    people = describe_people(people_counts(result.clusters, frames))
    _out(
        f"Linked {s.n_records:,} records into {s.n_clusters:,} clusters "
        f"({s.records_linked:,} records linked, largest cluster {s.largest}) at match "
        f"probability {result.threshold}; wrote {out}. {people}."
    )
    if args.save_model:
        _out(f"Saved the model to {args.save_model}.")
    if report is not None:
        _write_report(report, out, quiet)
    if result.metrics:
        m = result.metrics
        _out(
            f"Clusters against {args.labels_column}: "
            f"precision {m['cluster_pairwise_precision']:.4f}, "
            f"recall {m['cluster_pairwise_recall']:.4f}, F1 {m['cluster_pairwise_f1']:.4f}"
        )
        _out(
            f"Pairs against {args.labels_column}: precision {m['pairwise_precision']:.4f}, "
            f"recall {m['pairwise_recall']:.4f}, F1 {m['pairwise_f1']:.4f}"
        )
    if args.strict and health is not None and health.serious:
        n = len(health.serious)
        _err(
            f"strict: the health check found {n} serious problem{'s' if n != 1 else ''} "
            f"(exit status {EXIT_BUG}):"
        )
        for finding in health.serious:
            _err(_wrap(finding.headline(), "  - ", "    "))
        return EXIT_BUG
    return EXIT_OK


def _write_report(report: Any, out: Path, quiet: bool) -> None:
    """Write a change report beside the output and print its summary."""
    from linkage.clusters.change_report import report_path

    where = report_path(out)
    report.write(where)
    lines = report.summary_lines(limit=2 if quiet else 5)
    for line in lines if not quiet else lines[:3]:
        _out(line)
    _out(f"Change report: {where}")


def _cmd_refresh(args: argparse.Namespace, previous: Any, out: Path, quiet: bool) -> int:
    """``workbench link NEW ... --previous PREV``: link new extracts into a previous run."""
    from linkage.clusters import linked_file, refresh, run_inputs
    from linkage.inputs import prepare_input, read_input
    from workbench.errors import LinkageError

    if out.suffix.lower() != ".parquet":
        raise ValidationError(
            f"--out {args.out}: a refresh writes Parquet (it carries what the next refresh needs).",
            hint="For example --out refreshed.parquet",
        )
    settings = None
    if args.model:
        try:
            settings = json.loads(Path(args.model).read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise LinkageError(f"There is no model file {args.model}.") from exc
        except (OSError, ValueError) as exc:
            raise LinkageError(
                f"The model file {args.model} cannot be read as JSON: {exc}.",
                hint="Use a model saved by the workbench or by Splink's save_model_to_json.",
            ) from exc
        if not isinstance(settings, dict) or "comparisons" not in settings:
            raise LinkageError("The model file is not a Splink model: it has no comparisons.")
    settings, threshold = refresh.check_model(previous, settings, args.threshold)
    read = [read_input(spec, None) for spec in args.inputs]
    names = list(args.source) if args.source else [name for name, _, _ in read]
    if len(set(names)) != len(names):
        raise ValidationError(
            f"Two new extracts have the source name {names[0]!r}.",
            hint="Name each extract's source with --source, one per extract.",
        )
    exclude = (args.labels_column,) if args.labels_column else ()
    items = []
    for name, (_, frame, _) in zip(names, read, strict=True):
        roles = run_inputs.stored_roles_for(previous, name, [str(c) for c in frame.columns])
        item = prepare_input(
            name, frame, stored_roles=roles, unique_id=args.unique_id, exclude=exclude
        )
        items.append(run_inputs.number_on(previous, item))
    known = set(previous.meta.get("sources", {}))
    for name in names:
        if name not in known:
            log.warning(
                "%s is a source the previous run did not have (it had %s); use --source to "
                "add an extract to one of those",
                name,
                ", ".join(sorted(known)),
            )
    new_table = run_inputs.combine_tables([i.raw for i in items])
    new_std = pd_concat([i.standardised for i in items])
    with _ProgressBar(not quiet, "Refreshing") as bar:
        result = refresh.refresh_run(
            previous,
            new_table,
            new_std,
            settings=settings,
            threshold=threshold,
            sources=run_inputs.sources_meta(items),
            progress=bar,
        )
    linked_file.write_linked(out, result.run)
    report = result.report
    c = report.counts
    _out(
        f"Refreshed {args.previous} with {c['records_new'] + c['records_replaced']:,} records "
        f"({result.pairs_scored:,} pairs scored at match probability {threshold}); wrote "
        f"{out}: {c['records_after']:,} records, {c['people_after']:,} people."
    )
    _write_report(report, out, quiet)
    if args.labels_column:
        from linkage.quality.evaluate import cluster_metrics

        table = result.run.table
        if args.labels_column not in table.columns:
            raise ValidationError(f"--labels-column {args.labels_column!r} is not in the records.")
        truth = table[["source_dataset", "unique_id"]].assign(
            truth=table[args.labels_column].astype("string")
        )
        m = cluster_metrics(table, truth)
        _out(
            f"Clusters against {args.labels_column}: precision {m['pairwise_precision']:.4f}, "
            f"recall {m['pairwise_recall']:.4f}, F1 {m['pairwise_f1']:.4f}"
        )
    return EXIT_OK


def pd_concat(frames: Sequence[Any]) -> Any:
    """Stack DataFrames (pandas is imported only when a command needs it)."""
    import pandas as pd

    return pd.concat(frames, ignore_index=True)


# ------------------------------------------------------------ what `workbench link` says
_WIDTH = 100


def _err(text: str = "") -> None:
    sys.stderr.write(text + "\n")


def _wrap(text: str, first: str, rest: str) -> str:
    import textwrap

    return textwrap.fill(
        text, width=_WIDTH, initial_indent=first, subsequent_indent=rest, break_on_hyphens=False
    )


class _Narrator:
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
            _err(line)
        self.held = []


class _ProgressBar:
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

    def __enter__(self) -> _ProgressBar:
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


def _threshold_argument(requested: float | None, link_frames: Callable[..., Any]) -> Any:
    """``--threshold`` for ``link_frames``: as given, else the function's own default."""
    import inspect

    if requested is not None:
        return requested
    parameter = inspect.signature(link_frames).parameters.get("threshold")
    if parameter is None or parameter.default is inspect.Parameter.empty:
        return None
    return parameter.default


def _role_name(role: Any) -> str:
    return str(getattr(role, "value", role)).replace("_", " ")


def _role_lines(
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
        lines.append(_wrap(why, first, " " * (len(first) if len(first) <= 48 else 6)))
    for note in getattr(item, "notes", None) or []:
        lines.append(_wrap(note, "  note: ", " " * 8))
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


def _model_lines(model: Any, model_path: str | None) -> list[str]:
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
        lines.append(_wrap(f"{name} ({kind}){note}", "  ", " " * 6))
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
        _wrap(
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
        lines.append(_wrap(text, f"  EM session {k}, blocked on {label}: ", " " * 6))
    for warning in model.warnings:
        lines.append(_wrap(warning, "  warning: ", " " * 11))
    return lines


def _threshold_lines(result: Any, requested: float | None) -> list[str]:
    reason = getattr(result, "threshold_reason", "") or (
        "Given with --threshold." if requested is not None else "The default."
    )
    return [f"Threshold: match probability {result.threshold:g}", _wrap(reason, "  why: ", " " * 7)]


def _health_lines(report: Any) -> list[str]:
    lines = [f"Health check ({report.seconds:.1f} s): {report.summary()}"]
    for finding in report.findings:
        lines.append(_wrap(finding.headline(), f"  {finding.severity:<8} ", " " * 11))
        lines.append(_wrap(finding.advice, " " * 11 + "change: ", " " * 19))
    return lines


def cmd_serve(args: argparse.Namespace) -> int:
    """Start the app: local mode (no login), or shared mode with login required."""
    import os
    import subprocess

    from workbench.access.auth import (
        ENV_AUTH_CONFIG,
        ENV_MODE,
        MODE_LOCAL,
        MODE_SHARED,
        load_auth_settings,
    )

    env = {**os.environ, ENV_MODE: MODE_SHARED if args.shared else MODE_LOCAL}
    env.pop(ENV_AUTH_CONFIG, None)
    command = [sys.executable, "-m", "workbench.ui.server", f"--server.port={args.port}"]
    command.append(f"--server.address={args.address}")
    if args.workspace:
        env["WORKBENCH_WORKSPACE"] = str(Path(args.workspace).resolve())
    if args.config:
        config = Path(args.config).resolve()
        env[ENV_AUTH_CONFIG] = str(config)
        command.append(f"--secrets.files={config}")
    elif args.shared:
        raise ValidationError(
            "Shared mode needs --config PATH.", hint="See docs/deployment.md for its contents."
        )
    settings = load_auth_settings(env)  # refuse a bad config before starting the server
    _out(f"Serving in {settings.mode} mode on http://{args.address}:{args.port}")
    if settings.shared:
        _out(f"Login: {', '.join(settings.methods)}")
    return subprocess.call(command, env=env)


def cmd_export(args: argparse.Namespace) -> int:
    """Render a saved story (headless) to an HTML or PDF file; NAME may be ``owner/name``."""
    from workbench.access.auth import local_user
    from workbench.publish.stories import load_story, render_story

    out = Path(args.out)
    user = local_user()
    with _open(args, read_only=True) as ws:
        data = render_story(ws, user, load_story(ws, user, args.name), args.format)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    except OSError as exc:
        raise ValidationError(f"Cannot write {out}: {exc.strerror}.") from exc
    _out(f"Wrote story {args.name} as {args.format.upper()} to {out} ({len(data):,} bytes).")
    return EXIT_OK


def cmd_forecast(args: argparse.Namespace) -> int:
    """Forecast court receipts with backtests; write forecasts and metrics as CSV or Parquet."""
    from workbench.analysis.journeys import (
        JOURNEY_SCHEMA,
        LINKED,
        TRUTH,
        build_truth_journeys,
        ensure_journeys,
    )
    from workbench.errors import ForecastError, JourneyError
    from workbench.forecast.model import (
        COURT_TYPES,
        COVERAGE_TOLERANCE,
        ForecastSettings,
        demand_areas,
        forecast_demand,
        forecasts_frame,
        metrics_frame,
    )

    out = Path(args.out)
    if out.suffix.lower() not in (".csv", ".parquet"):
        raise ForecastError(f"Cannot write {out}: use a .csv or .parquet file name.")
    courts = (
        list(COURT_TYPES)
        if args.court == "all"
        else ["Crown" if args.court == "crown" else "magistrates"]
    )
    with _open(args) as ws:
        table = LINKED
        try:
            ensure_journeys(ws)
        except JourneyError as exc:
            table = TRUTH
            if not ws.table_exists(JOURNEY_SCHEMA, TRUTH):
                _out(f"note: no linked journeys ({exc.message}); building truth journeys.")
                build_truth_journeys(ws)
            else:
                _out(f"note: no linked journeys ({exc.message}); using truth journeys.")
        known = demand_areas(ws, table)
        if args.area != "all" and args.area not in known:
            raise ForecastError(
                f"No court receipts for area {args.area!r}.",
                hint="Use an LCJB area name from the data, or all.",
            )
        areas = known if args.area == "all" else [args.area]
        settings = ForecastSettings(freq="week", horizon=args.horizon)
        results = forecast_demand(
            ws,
            areas,
            courts,
            settings,
            table,
            progress=lambda message, _f: log.info(message),
        )
    frame = forecasts_frame(results).merge(
        metrics_frame(results), on=["area", "court_type"], how="left"
    )
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        if out.suffix.lower() == ".csv":
            frame.to_csv(out, index=False)
        else:
            frame.to_parquet(out, index=False)
    except OSError as exc:
        raise ForecastError(f"Cannot write {out}: {exc.strerror}.") from exc
    made = [r for r in results if r.ok]
    beaten = sum(1 for r in made if r.beats_baseline)
    calibrated = sum(1 for r in made if r.coverage_ok)
    sparse = [r for r in results if r.freq_reason]
    counts = sum(1 for r in sparse if r.level == "monthly counts")
    levels = [
        f"{n} forecast {what}"
        for n, what in ((len(sparse) - counts, "monthly"), (counts, "as monthly counts"))
        if n
    ]
    _out(
        f"Forecast {len(made)} of {len(results)} series {args.horizon} weeks ahead "
        f"({len(sparse)} too sparse for weeks{': ' + ', '.join(levels) if levels else ''}); "
        "the model beats the seasonal "
        f"naive baseline in {beaten}; calibrated intervals cover within "
        f"{COVERAGE_TOLERANCE:.0%} of the aim in {calibrated}; wrote {out}."
    )
    for r in results:
        if r.freq_reason:
            _out(f"  {r.freq_reason}")
        if not r.ok:
            _out(f"  no forecast for {r.area} ({r.court_type}): {r.reason}")
        elif r.beats_baseline and not r.coverage_ok:
            _out(
                f"  {r.area} ({r.court_type}) beats the baseline, but its intervals cover "
                f"{r.coverage:.0%} of backtest actuals against {settings.interval_width:.0%}."
            )
    return EXIT_OK


# ------------------------------------------------------------------------------ plumbing
def _exists(args: argparse.Namespace) -> bool:
    return load_settings(args.workspace).workspace.exists()


def _parse_date(text: str, flag: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ValidationError(f"{flag} {text!r} is not a date.", hint="Use YYYY-MM-DD.") from exc


def cmd_journeys(args: argparse.Namespace) -> int:
    """Build the linked (or true) journey table, or say whether it is current."""
    from workbench.analysis.journeys import build_journeys, build_truth_journeys
    from workbench.analysis.views import journey_status

    with _open(args) as ws:
        if args.action == "status":
            status = journey_status(ws)
            _out(f"{status.state}: {status.message}")
            return EXIT_OK
        built = build_truth_journeys(ws) if args.truth else build_journeys(ws)
    _out(f"Built journeys.{built.table}: {built.journeys:,} journeys in {built.seconds:.1f} s.")
    for source, c in built.counts.items():
        _out(f"  {source}: {c['in']:,} records read, {c['out']:,} placed in a journey")
    for join, per in built.rules.items():
        _out(f"  {join} joins: " + ", ".join(f"{r} {n:,}" for r, n in per.items()))
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command."""
    parser = argparse.ArgumentParser(
        prog="workbench",
        description="CJS Linkage Workbench: import, catalogue and link police, CPS and court data.",
    )
    parser.add_argument(
        "--workspace",
        help="workspace file (default: $WORKBENCH_WORKSPACE or workspace/workbench.duckdb)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("init", help="create the workspace; load the sample data if it is empty")
    p.add_argument("--no-sample", dest="sample", action="store_false", help="do not load samples")
    p.add_argument(
        "--link",
        action="store_true",
        help="when no model exists yet, link the data with the suggested model and build the "
        "journeys (what `make run` does, so the analysis pages open with figures)",
    )
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("sample", help="generate synthetic police, CPS and court extracts")
    p.add_argument("--people", type=int, help="number of people (default 49000, the sample's)")
    p.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--end-date", help="last date covered, YYYY-MM-DD (default: fixed in code)")
    p.add_argument("--errors", help="JSON file of identifier error rates (see sample_data/README)")
    p.set_defaults(func=cmd_sample)

    p = sub.add_parser("import", help="import a CSV, TSV, Parquet, Excel or JSON file")
    p.add_argument("path", help="file to import")
    p.add_argument("--name", help="dataset name (default: from the file name)")
    p.add_argument("--title")
    p.add_argument("--description")
    p.add_argument("--source-system", help="police, cps, courts or other")
    p.add_argument("--owner")
    p.add_argument("--sheet", help="Excel sheet name (default: the first)")
    p.add_argument(
        "--invalid",
        choices=("refuse", "missing", "text"),
        default="refuse",
        help="values that do not fit a column that is nearly all dates or numbers: refuse the "
        "file and name them (default), import them as missing, or keep the column as text",
    )
    p.add_argument(
        "--new-version", action="store_true", help="if the name exists, save as a new version"
    )
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("datasets", help="list the catalogue")
    p.add_argument("--search", help="text to look for in names, titles, descriptions, columns")
    p.set_defaults(func=cmd_datasets)

    p = sub.add_parser("show", help="show a dataset's catalogue entry and profile")
    p.add_argument("name")
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("roles", help="show, set or confirm column roles")
    p.add_argument("name")
    p.add_argument("--set", action="append", metavar="COLUMN=ROLE", help="change one role")
    p.add_argument("--confirm", action="store_true", help="confirm the roles as they stand")
    p.set_defaults(func=cmd_roles)

    p = sub.add_parser("link", help="link CSV/Parquet files or datasets; write their clusters")
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="CSV/Parquet path or dataset name")
    p.add_argument("--out", required=True, help="output file (.parquet or .csv)")
    p.add_argument(
        "--link-type",
        choices=["dedupe_only", "link_only", "link_and_dedupe"],
        help="default: dedupe_only for one input, link_and_dedupe for several",
    )
    p.add_argument(
        "--unique-id",
        metavar="COLUMN",
        help="record id column (default: unique_id or id, else row)",
    )
    p.add_argument(
        "--role", action="append", metavar="COLUMN=ROLE", help="set a column's role (repeatable)"
    )
    p.add_argument(
        "--model", metavar="MODEL.json", help="use this Splink model instead of training"
    )
    p.add_argument("--save-model", metavar="PATH", help="write the model as Splink JSON")
    p.add_argument(
        "--previous",
        metavar="PREV.parquet",
        help="a previous output of workbench link: link the inputs (new extracts) into it, "
        "scoring only pairs with a new record and keeping every person's id unless merged or "
        "split; with --full, relink the inputs from scratch and carry the ids over. A change "
        "report is written beside --out as <name>.changes.json",
    )
    p.add_argument(
        "--full",
        action="store_true",
        help="with --previous: the inputs hold every record; link them afresh (new model or "
        "threshold allowed) and give each person the previous id it overlaps most",
    )
    p.add_argument(
        "--source",
        action="append",
        metavar="NAME",
        help="with --previous: the source each new extract belongs to, one per extract in "
        "order (default: the file's name); records whose id is already in that source "
        "replace their earlier version",
    )
    p.add_argument(
        "--threshold",
        type=float,
        default=None,
        help="match probability to link (default: chosen from the model, and said why)",
    )
    p.add_argument(
        "--labels-column",
        metavar="COLUMN",
        help="true person id column: print precision, recall and F1 (never used by the model)",
    )
    p.add_argument(
        "--backend",
        default="duckdb",
        help="duckdb (default, this machine) or spark (SPARK_REMOTE or WORKBENCH_SPARK_MASTER, "
        "local[*] by default; needs the spark extra and Java 17)",
    )
    p.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="print only the result lines and errors (no roles, model, progress or health check)",
    )
    p.add_argument(
        "--strict",
        action="store_true",
        help="exit with status 1 (after writing the output) when the health check finds a "
        "serious problem",
    )
    p.set_defaults(func=cmd_link)

    p = sub.add_parser("export", help="render a saved story to an HTML or PDF file")
    p.add_argument("what", choices=["story"], help="what to export")
    p.add_argument("name", help="the story's name, or owner/name for another owner's")
    p.add_argument(
        "--format", choices=["html", "interactive", "pdf"], default="html", help="default html"
    )
    p.add_argument("--out", required=True, help="output file")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("forecast", help="forecast court receipts with backtests (CSV/Parquet)")
    p.add_argument("--area", default="all", help="LCJB area name, or all (default)")
    p.add_argument("--court", choices=["magistrates", "crown", "all"], default="all")
    p.add_argument("--horizon", type=int, default=13, metavar="WEEKS", help="weeks ahead")
    p.add_argument("--out", required=True, help="output file (.csv or .parquet)")
    p.set_defaults(func=cmd_forecast)

    p = sub.add_parser("audit", help="show the audit log")
    p.add_argument("--limit", type=int, default=50)
    p.set_defaults(func=cmd_audit)

    p = sub.add_parser("serve", help="start the app (local, or shared with login)")
    p.add_argument("--shared", action="store_true", help="require login (see docs/deployment.md)")
    p.add_argument("--config", metavar="PATH", help="login configuration TOML (shared mode)")
    p.add_argument("--port", type=int, default=8501)
    p.add_argument("--address", default="localhost", help="address to listen on")
    p.set_defaults(func=cmd_serve)
    p = sub.add_parser("journeys", help="build the linked journey table or show its status")
    p.add_argument("action", choices=["build", "status"])
    p.add_argument("--truth", action="store_true", help="build journeys.truth from the true links")
    p.set_defaults(func=cmd_journeys)
    return parser


def run(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` and run one command; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not args.verbose:
        logging.getLogger("splink").setLevel(logging.ERROR)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except WorkbenchError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130


def main() -> None:
    """Console-script entry point."""
    sys.exit(run())


if __name__ == "__main__":
    main()
