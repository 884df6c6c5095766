"""What the Attrition, Timeliness, Journeys and LCJB dashboard pages show, without Streamlit.

Each ``*_view`` function computes one measure from :mod:`workbench.analysis.measures` for a
filter, applies disclosure control when ``protect`` is true (always, for a leader) and returns a
:class:`~workbench.analysis.views.view.View`: the data for the chart (hidden values missing), a
readable table for the table view and the CSV download (hidden values written as
``suppressed``) and the disclosure note.

"National" means every area in the workspace's journey table, with the same filters apart from
the area.

Every series shows bases beside its values and 95% intervals (Wilson for rates, order-statistic
for medians); values from fewer than :func:`~workbench.analysis.views.view.min_base` cases are
withheld for everyone, with the reason. Periods are whole periods inside the data; offence
cohorts still within their maturity window are marked provisional, and headlines and changes use
only complete periods. Timeliness is always by court type.

The modules: :mod:`~workbench.analysis.views.view` (what every view shares),
:mod:`~workbench.analysis.views.scope` (the journey table's state, filters, dates and court
types), :mod:`~workbench.analysis.views.attrition`, :mod:`~workbench.analysis.views.timeliness`,
:mod:`~workbench.analysis.views.series` (measures over time and the trend view),
:mod:`~workbench.analysis.views.windows` (data span and cohort maturity),
:mod:`~workbench.analysis.views.dashboard` (an area's KPIs), :mod:`~workbench.analysis.views.cards`
(the KPIs as metric cards) and :mod:`~workbench.analysis.views.joins` (the Journeys page's build
and linkage-sensitivity tables).
"""
