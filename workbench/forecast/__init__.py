"""Demand: forecasts, backtests, scenarios and their charts."""
