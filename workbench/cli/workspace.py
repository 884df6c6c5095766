"""``workbench init``, ``audit`` and ``journeys``: create and fill the workspace, read its audit log
and build its journey table.
"""

from __future__ import annotations

import argparse
from typing import Any

from workbench.cli.common import EXIT_OK, open_workspace_arg, print_out, say_error, workspace_exists
from workbench.errors import WorkbenchError


def cmd_init(args: argparse.Namespace) -> int:
    """Create the workspace and load the sample data when it holds no datasets yet."""
    from workbench.data.catalogue import list_datasets
    from workbench.data.datasets import load_sample

    with open_workspace_arg(args) as ws:
        if args.sample and not list_datasets(ws):
            loaded = load_sample(ws, progress=lambda msg, _f: print_out(f"  {msg}"))
            print_out(f"Loaded {len(loaded)} sample datasets into {ws.path}.")
        else:
            count = len(list_datasets(ws))
            print_out(f"Workspace {ws.path} is ready ({count} datasets).")
        if args.link:
            _link_on_init(ws)
    return EXIT_OK


def _link_on_init(ws: Any) -> None:
    """Link the workspace's data with the suggested model when no model exists yet.

    A failure is reported and leaves the workspace usable: the Start page offers the same
    linking with one click.
    """
    from linkage.clusters.registry import list_models
    from linkage.model.datasets import linkable_datasets
    from linkage.quickstart import link_and_build

    if not list_models(ws).empty or not linkable_datasets(ws):
        return
    print_out("Linking the data with the suggested model (once; the analysis pages need it):")
    last = [""]

    def progress(message: str, _fraction: float) -> None:
        if message != last[0]:
            last[0] = message
            print_out(f"  {message}")

    try:
        done = link_and_build(ws, progress=progress)
    except WorkbenchError as exc:
        say_error(f"Linking did not finish: {exc}")
        say_error("  The workspace is usable; link from the Start page or the Train page.")
        return
    people = done.run.metrics.get("n_people")
    print_out(
        f"Linked into {people:,} people at match probability "
        f"{done.run.metrics.get('threshold', 0):g} and built {done.journeys.journeys:,} journeys."
    )


def cmd_audit(args: argparse.Namespace) -> int:
    """Print the most recent audit log entries."""
    with open_workspace_arg(args, read_only=workspace_exists(args)) as ws:
        frame = ws.audit_log(limit=args.limit)
    print_out(frame.to_string(index=False) if len(frame) else "The audit log is empty.")
    return EXIT_OK


def cmd_journeys(args: argparse.Namespace) -> int:
    """Build the linked (or true) journey table, or say whether it is current."""
    from workbench.analysis.journeys.build import build_journeys, build_truth_journeys
    from workbench.analysis.views.scope import journey_status

    with open_workspace_arg(args) as ws:
        if args.action == "status":
            status = journey_status(ws)
            print_out(f"{status.state}: {status.message}")
            return EXIT_OK
        built = build_truth_journeys(ws) if args.truth else build_journeys(ws)
    print_out(
        f"Built journeys.{built.table}: {built.journeys:,} journeys in {built.seconds:.1f} s."
    )
    for source, c in built.counts.items():
        print_out(f"  {source}: {c['in']:,} records read, {c['out']:,} placed in a journey")
    for join, per in built.rules.items():
        print_out(f"  {join} joins: " + ", ".join(f"{r} {n:,}" for r, n in per.items()))
    return EXIT_OK
