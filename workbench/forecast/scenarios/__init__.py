"""What-if scenarios: receipts, disposals and the outstanding caseload projected forward.

A scenario starts from a receipts forecast (:mod:`workbench.forecast.model`) and the state of
the courts at the last period of history (open cases, recent disposals per week, and the stage
lags a change in charges passes through), and applies two changes: charge volumes and disposal
capacity. The modules:

- :mod:`~workbench.forecast.scenarios.lags`: how long cases take between stages, measured
  from the journeys (Kaplan-Meier, open cases censored);
- :mod:`~workbench.forecast.scenarios.state`: where the courts stand at the end of the history,
  with the stage lags of a series;
- :mod:`~workbench.forecast.scenarios.projection`: a scenario's settings and the projection
  maths;
- :mod:`~workbench.forecast.scenarios.storage`: saved scenarios, their owners and who may see
  them;
- :mod:`~workbench.forecast.scenarios.comparison`: saved scenarios side by side, summarised
  and exported.
"""
