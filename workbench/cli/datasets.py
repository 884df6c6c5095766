"""``workbench sample``, ``import``, ``datasets``, ``show`` and ``roles``: generate the synthetic
extracts, import files and inspect or change what the catalogue holds.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from workbench.cli.common import (
    EXIT_OK,
    open_workspace_arg,
    parse_date,
    print_out,
    workspace_exists,
)
from workbench.config import load_settings
from workbench.errors import ValidationError


def cmd_sample(args: argparse.Namespace) -> int:
    """Generate synthetic police, CPS and court extracts with their truth files."""
    from workbench.sample.generate import DEFAULT_PEOPLE, generate_sample
    from workbench.sample.noise import ErrorProfile

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
    end = parse_date(args.end_date, "--end-date") if args.end_date else None
    summary = generate_sample(
        Path(args.out),
        people=DEFAULT_PEOPLE if args.people is None else args.people,
        seed=args.seed,
        end_date=end,
        errors=errors,
    )
    print_out(
        f"Wrote {summary.people:,} people ({summary.start_date} to {summary.end_date}, "
        f"seed {summary.seed}) to {summary.out_dir}:"
    )
    print_out(
        f"  first reported period from {summary.first_reported_date} (the years before are a "
        f"lead-in); pilot areas {', '.join(summary.pilot_areas)}"
    )
    for key, path in summary.files.items():
        print_out(f"  {path.name:<24} {summary.rows.get(key, 0):>10,} rows")
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    """Import a file into the workspace, profile it and suggest column roles."""
    from workbench.data.datasets import add_file

    settings = load_settings(args.workspace)
    path = Path(args.path)
    with open_workspace_arg(args) as ws:
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
    print_out(
        f"Imported {path.name} as {info.name}: {info.row_count:,} rows, "
        f"{info.column_count} columns."
    )
    return EXIT_OK


def cmd_datasets(args: argparse.Namespace) -> int:
    """List (and search) the datasets in the catalogue."""
    from workbench.data.catalogue import list_datasets

    with open_workspace_arg(args, read_only=workspace_exists(args)) as ws:
        items = list_datasets(ws, search=args.search)
    if not items:
        print_out("No datasets match." if args.search else "The workspace holds no datasets yet.")
        return EXIT_OK
    width = max(len(d.name) for d in items)
    for d in items:
        title = d.title or ""
        print_out(f"{d.name:<{width}}  {d.kind:<6}  {d.row_count or 0:>10,} rows  {title}")
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    """Show a dataset's catalogue entry, column dictionary and quality profile."""
    from workbench.data.catalogue import column_dictionary, get_dataset
    from workbench.data.profile import load_profile, profile_table

    with open_workspace_arg(args, read_only=workspace_exists(args)) as ws:
        info = get_dataset(ws, args.name)
        dictionary = column_dictionary(ws, args.name)
        profile = load_profile(ws, args.name)
    print_out(f"{info.name}: {info.title or ''}")
    for field in ("description", "source_system", "owner", "refresh_date", "row_count"):
        print_out(f"  {field}: {getattr(info, field)}")
    print_out(f"  source: {info.source_file} (sha256 {str(info.source_sha256)[:12]}…)")
    print_out(f"  imported: {info.imported_at} by {info.imported_by}")
    print_out("")
    print_out(dictionary.to_string(index=False))
    if profile is not None:
        print_out("")
        print_out(profile_table(profile).to_string(index=False))
        if profile.note:
            print_out(profile.note)
    return EXIT_OK


def cmd_roles(args: argparse.Namespace) -> int:
    """Show, change or confirm the column roles of a dataset."""
    from workbench.data.catalogue import get_dataset
    from workbench.persons.roles import load_roles, roles_table, save_roles

    with open_workspace_arg(args) as ws:
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
    print_out(table.to_string(index=False))
    return EXIT_OK
