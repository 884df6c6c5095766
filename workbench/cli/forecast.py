"""``workbench forecast``: forecast court receipts with backtests; write forecasts and metrics."""

from __future__ import annotations

import argparse
from pathlib import Path

from workbench.cli.common import EXIT_OK, log, open_workspace_arg, print_out
from workbench.safe_write import replacing


def cmd_forecast(args: argparse.Namespace) -> int:
    """Forecast court receipts with backtests; write forecasts and metrics as CSV or Parquet."""
    from workbench.analysis.journeys.build import build_truth_journeys, ensure_journeys
    from workbench.analysis.journeys.table import JOURNEY_SCHEMA, LINKED, TRUTH
    from workbench.errors import ForecastError, JourneyError
    from workbench.forecast.model.demand import demand_areas, forecast_demand
    from workbench.forecast.model.series import COURT_TYPES, COVERAGE_TOLERANCE, ForecastSettings
    from workbench.forecast.model.tables import forecasts_frame, metrics_frame

    out = Path(args.out)
    if out.suffix.lower() not in (".csv", ".parquet"):
        raise ForecastError(f"Cannot write {out}: use a .csv or .parquet file name.")
    courts = (
        list(COURT_TYPES)
        if args.court == "all"
        else ["Crown" if args.court == "crown" else "magistrates"]
    )
    with open_workspace_arg(args) as ws:
        table = LINKED
        try:
            ensure_journeys(ws)
        except JourneyError as exc:
            table = TRUTH
            if not ws.table_exists(JOURNEY_SCHEMA, TRUTH):
                print_out(f"note: no linked journeys ({exc.message}); building truth journeys.")
                build_truth_journeys(ws)
            else:
                print_out(f"note: no linked journeys ({exc.message}); using truth journeys.")
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
        with replacing(out) as tmp:
            if out.suffix.lower() == ".csv":
                frame.to_csv(tmp, index=False)
            else:
                frame.to_parquet(tmp, index=False)
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
    print_out(
        f"Forecast {len(made)} of {len(results)} series {args.horizon} weeks ahead "
        f"({len(sparse)} too sparse for weeks{': ' + ', '.join(levels) if levels else ''}); "
        "the model beats the seasonal "
        f"naive baseline in {beaten}; calibrated intervals cover within "
        f"{COVERAGE_TOLERANCE:.0%} of the aim in {calibrated}; wrote {out}."
    )
    for r in results:
        if r.freq_reason:
            print_out(f"  {r.freq_reason}")
        if not r.ok:
            print_out(f"  no forecast for {r.area} ({r.court_type}): {r.reason}")
        elif r.beats_baseline and not r.coverage_ok:
            print_out(
                f"  {r.area} ({r.court_type}) beats the baseline, but its intervals cover "
                f"{r.coverage:.0%} of backtest actuals against {settings.interval_width:.0%}."
            )
    return EXIT_OK
