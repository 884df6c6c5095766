"""Measures over a journey table: victim attrition, case timeliness, demand and headlines.

Every measure reads one journey table (``journeys.linked`` by default; see
:mod:`workbench.analysis.journeys`) with DuckDB SQL and returns a small, tidy DataFrame.
Groupings are chosen from :data:`~workbench.analysis.measures.query.GROUPINGS`; filters from a
:class:`~workbench.analysis.measures.query.JourneyFilter`. None of these results is
disclosure-controlled: pass them through :mod:`workbench.disclosure.control` before they leave
the analyst's own view (with ``keys=True`` a measure adds the cell keys it needs, from
:mod:`~workbench.analysis.measures.record_keys`).

The modules: :mod:`~workbench.analysis.measures.query` (filters, groupings, the table read),
:mod:`~workbench.analysis.measures.attrition`, :mod:`~workbench.analysis.measures.timeliness`,
:mod:`~workbench.analysis.measures.caseload`, :mod:`~workbench.analysis.measures.demand`,
:mod:`~workbench.analysis.measures.headline` (the measures that compare journey tables),
:mod:`~workbench.analysis.measures.maturity` (how long cohorts need to finish) and
:mod:`~workbench.analysis.measures.uncertainty` (Wilson and median intervals).
"""
