"""Demand forecasts: Prophet models of court receipts with honest backtests.

One series is the weekly or monthly count of first hearings (court receipts) of one LCJB area
(or England and Wales, or a set of areas combined) at one court type. Each series gets a
**Prophet** model with yearly seasonality, a bank-holiday regressor and prediction intervals
(or, when very sparse, a count model), the **seasonal naive** baseline, and **rolling-origin
backtests** that say plainly when the model does not beat the baseline.

The modules, in the order a forecast passes through them:

- :mod:`~workbench.forecast.model.series`: the settings of a forecast and its result
  (:class:`~workbench.forecast.model.series.SeriesForecast`);
- :mod:`~workbench.forecast.model.demand`: court receipts read from a journey table, on one
  grid, and the forecasts a user asks for (areas, combinations, scenarios);
- :mod:`~workbench.forecast.model.history`: a series on its period grid, the spring-2020
  disruption, and the level its counts support (weekly, monthly or monthly counts);
- :mod:`~workbench.forecast.model.holiday_calendar`: England and Wales bank holidays per period;
- :mod:`~workbench.forecast.model.prophet_model` and
  :mod:`~workbench.forecast.model.count_model`: the two models;
- :mod:`~workbench.forecast.model.accuracy`: the seasonal naive baseline, MASE, coverage and
  interval calibration;
- :mod:`~workbench.forecast.model.backtest`: backtests and the final forecast of one series;
- :mod:`~workbench.forecast.model.runner`: many series fitted in a process pool, with the cache
  of :mod:`~workbench.forecast.model.cache`;
- :mod:`~workbench.forecast.model.tables` and :mod:`~workbench.forecast.model.disclosure`: the
  results as tables, and fit to show a leader.
"""
