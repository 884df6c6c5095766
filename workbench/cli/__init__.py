"""The ``workbench`` command line: the same core as the app, headless.

Every command turns a :class:`~workbench.errors.WorkbenchError` into one line on stderr and exit
status 2; nothing prints a traceback for a mistake the user can fix.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence

from workbench.cli.common import EXIT_USER_ERROR
from workbench.cli.datasets import cmd_datasets, cmd_import, cmd_roles, cmd_sample, cmd_show
from workbench.cli.forecast import cmd_forecast
from workbench.cli.link import cmd_link
from workbench.cli.serve import cmd_serve
from workbench.cli.stories import cmd_export
from workbench.cli.workspace import cmd_audit, cmd_init, cmd_journeys
from workbench.errors import WorkbenchError


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
    # A command may quieten the root logger (-q); a caller running several commands in one
    # process gets it back as it was.
    root_level = logging.getLogger().level
    try:
        return func(args)
    except WorkbenchError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130
    finally:
        logging.getLogger().setLevel(root_level)


def main() -> None:
    """Console-script entry point."""
    sys.exit(run())
