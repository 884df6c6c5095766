"""``workbench link``: link CSV/Parquet files or datasets into people.

It trains or loads the model, links (or refreshes a previous output) and writes one row per
record with its cluster id.
"""

from __future__ import annotations

import argparse
import json
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

from workbench.cli.common import (
    EXIT_BUG,
    EXIT_OK,
    collection_paused,
    log,
    open_workspace_arg,
    print_out,
    say_error,
    workspace_exists,
)
from workbench.cli.link_report import (
    Narrator,
    ProgressBar,
    health_lines,
    model_lines,
    role_lines,
    threshold_lines,
    wrap_text,
)
from workbench.errors import ValidationError, WorkbenchError, first_line


def cmd_link(args: argparse.Namespace) -> int:
    """Link CSV/Parquet files or datasets; write one row per record with its cluster id.

    On stderr it says what it did: the role of each input column and why, the comparisons and
    their levels, the blocking rules, the training plan, the threshold and the model's health
    check (``-q`` silences all of it). ``--strict`` exits 1 when the check finds a serious
    problem, after the output is written.
    """
    with collection_paused():
        return _cmd_link(args)


def _read_previous_in_background(path: str) -> Future[Any]:
    """Start reading a previous run (``--previous``) while the command loads its modules and
    reads the new extracts; the Parquet reader mostly runs outside the interpreter lock."""

    def read() -> Any:
        from linkage.clusters.linked_file import read_linked

        return read_linked(path)

    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="read-previous")
    try:
        return pool.submit(read)
    finally:
        pool.shutdown(wait=False)


def _cmd_link(args: argparse.Namespace) -> int:
    """:func:`cmd_link`, run with the garbage collector paused."""
    reading = _read_previous_in_background(args.previous) if args.previous else None
    try:
        return _link_or_refresh(args, reading)
    finally:
        # A command that stops early (bad input) still lets the reader finish: the process
        # must not end while a thread is inside the Parquet reader.
        if reading is not None and not reading.cancel():
            wait([reading])


def _link_or_refresh(args: argparse.Namespace, reading: Future[Any] | None) -> int:
    """Link the inputs, or refresh the previous run (being read by ``reading``) with them."""
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
    say = Narrator(enabled=not quiet)

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
    if reading is None and args.full:
        raise ValidationError(
            "--full relinks against a previous run: give it with --previous PREV.parquet."
        )
    if args.source and (reading is None or args.full):
        raise ValidationError(
            "--source names the source of each new extract in a refresh (with --previous).",
            hint="Leave --source out, or refresh with --previous PREV.parquet.",
        )
    if args.source and len(args.source) != len(args.inputs):
        raise ValidationError(
            f"--source was given {len(args.source)} times for {len(args.inputs)} new extracts.",
            hint="Give one --source per new extract, in the same order, or none.",
        )
    if reading is not None and not args.full:
        return _cmd_refresh(args, reading, out, quiet)
    previous = reading.result() if reading is not None else None
    ws = None
    if any(not Path(i).exists() and not Path(i).suffix for i in args.inputs) and workspace_exists(
        args
    ):
        ws = open_workspace_arg(args, read_only=True)
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
    with ProgressBar(say.enabled, "Standardising the inputs") as bar:
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
        say.add(role_lines(item, frame, stored, overrides, exclude, args.unique_id))
    if previous is not None:
        from linkage.clusters.run_inputs import carry_row_numbers

        for item in inputs:
            matched = carry_row_numbers(previous, item)
            if item.id_column is None:
                say.add(
                    [
                        f"{item.name} has no record id column: {matched:,} of its "
                        f"{len(item.raw):,} records were found in the previous run by their "
                        "values and keep the numbers they had there; the others are numbered "
                        "after them."
                    ]
                )
    for note in check_common_columns(inputs):
        log.warning(note)
    frames = [i.standardised for i in inputs]
    if args.labels_column:
        frames = [
            f.assign(_truth=i.raw[args.labels_column].astype("string").to_numpy())
            for f, i in zip(frames, inputs, strict=True)
        ]
    try:
        with ProgressBar(say.enabled, "Linking") as bar:
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
        first = first_line(exc)
        raise LinkageError(
            f"Linking failed: {first}",
            hint="Check the roles of the input columns (--role), or run with -v for details.",
        ) from exc
    say.add(model_lines(result.model, args.model))
    say.add(threshold_lines(result, args.threshold))
    health = None
    if say.enabled or args.strict:
        from linkage.quality.health import check_model

        with ProgressBar(say.enabled, "Health check") as bar:
            health = check_model(
                result.model,
                result.pairs,
                result.clusters,
                threshold=result.threshold,
                progress=bar,
            )
        say.add(health_lines(health))
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
    print_out(
        f"Linked {s.n_records:,} records into {s.n_clusters:,} clusters "
        f"({s.records_linked:,} records linked, largest cluster {s.largest}) at match "
        f"probability {result.threshold}; wrote {out}. {people}."
    )
    if args.save_model:
        print_out(f"Saved the model to {args.save_model}.")
    if report is not None:
        _write_report(report, out, quiet)
    if result.metrics:
        m = result.metrics
        print_out(
            f"Clusters against {args.labels_column}: "
            f"precision {m['cluster_pairwise_precision']:.4f}, "
            f"recall {m['cluster_pairwise_recall']:.4f}, F1 {m['cluster_pairwise_f1']:.4f}"
        )
        print_out(
            f"Pairs against {args.labels_column}: precision {m['pairwise_precision']:.4f}, "
            f"recall {m['pairwise_recall']:.4f}, F1 {m['pairwise_f1']:.4f}"
        )
    if args.strict and health is not None and health.serious:
        n = len(health.serious)
        say_error(
            f"strict: the health check found {n} serious problem{'s' if n != 1 else ''} "
            f"(exit status {EXIT_BUG}):"
        )
        for finding in health.serious:
            say_error(wrap_text(finding.headline(), "  - ", "    "))
        return EXIT_BUG
    return EXIT_OK


def _write_report(report: Any, out: Path, quiet: bool, text: str | None = None) -> None:
    """Write a change report beside the output (``text``: its JSON, when made already) and
    print its summary."""
    from linkage.clusters.change_report import report_path

    where = report_path(out)
    report.write(where, text)
    lines = report.summary_lines(limit=2 if quiet else 5)
    for line in lines if not quiet else lines[:3]:
        print_out(line)
    print_out(f"Change report: {where}")


def _cmd_refresh(args: argparse.Namespace, reading: Future[Any], out: Path, quiet: bool) -> int:
    """``workbench link NEW ... --previous PREV``: link new extracts into a previous run.

    The model, threshold and roles come from the previous run's metadata, so the new extracts
    are read and standardised while ``reading`` reads the previous run's records.
    """
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
    info = linked_file.read_linked_info(args.previous)
    settings, threshold = refresh.check_model(info, settings, args.threshold)
    read = [read_input(spec, None) for spec in args.inputs]
    names = list(args.source) if args.source else [name for name, _, _ in read]
    if len(set(names)) != len(names):
        raise ValidationError(
            f"Two new extracts have the source name {names[0]!r}.",
            hint="Name each extract's source with --source, one per extract.",
        )
    exclude = (args.labels_column,) if args.labels_column else ()
    prepared = []
    for name, (_, frame, _) in zip(names, read, strict=True):
        roles = run_inputs.stored_roles_for(info, name, frame)
        prepared.append(
            prepare_input(
                name, frame, stored_roles=roles, unique_id=args.unique_id, exclude=exclude
            )
        )
    previous = reading.result()
    items = []
    for name, item in zip(names, prepared, strict=True):
        repeats = run_inputs.repeated_records(previous, item)
        if repeats:
            log.warning(
                "%s records of the new extract of %s equal earlier records of it; %s has no "
                "record id column, so they are added as new records. If the extract repeats "
                "earlier records, give its id column with --unique-id so they replace them, "
                "or relink with --full --previous",
                f"{repeats:,}",
                name,
                name,
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
    with ProgressBar(not quiet, "Refreshing") as bar:
        result = refresh.refresh_run(
            previous,
            new_table,
            new_std,
            settings=settings,
            threshold=threshold,
            sources=run_inputs.sources_meta(items),
            progress=bar,
        )
    # The file is written while the change report is assembled and put into JSON (the writer
    # mostly runs outside the interpreter lock); the report's file follows the output's.
    with ThreadPoolExecutor(max_workers=1) as pool:
        writing = pool.submit(linked_file.write_linked, out, result.run)
        report = result.report
        report_text = report.to_json()
        writing.result()
    c = report.counts
    print_out(
        f"Refreshed {args.previous} with {c['records_new'] + c['records_replaced']:,} records "
        f"({result.pairs_scored:,} pairs scored at match probability {threshold}); wrote "
        f"{out}: {c['records_after']:,} records, {c['people_after']:,} people."
    )
    _write_report(report, out, quiet, report_text)
    if args.labels_column:
        from linkage.quality.evaluate import cluster_metrics

        table = result.run.table
        if args.labels_column not in table.columns:
            raise ValidationError(f"--labels-column {args.labels_column!r} is not in the records.")
        truth = table[["source_dataset", "unique_id"]].assign(
            truth=table[args.labels_column].astype("string")
        )
        m = cluster_metrics(table, truth)
        print_out(
            f"Clusters against {args.labels_column}: precision {m['pairwise_precision']:.4f}, "
            f"recall {m['pairwise_recall']:.4f}, F1 {m['pairwise_f1']:.4f}"
        )
    return EXIT_OK


def pd_concat(frames: Sequence[Any]) -> Any:
    """Stack DataFrames (pandas is imported only when a command needs it)."""
    import pandas as pd

    return pd.concat(frames, ignore_index=True)


def _threshold_argument(requested: float | None, link_frames: Callable[..., Any]) -> Any:
    """``--threshold`` for ``link_frames``: as given, else the function's own default."""
    import inspect

    if requested is not None:
        return requested
    parameter = inspect.signature(link_frames).parameters.get("threshold")
    if parameter is None or parameter.default is inspect.Parameter.empty:
        return None
    return parameter.default
