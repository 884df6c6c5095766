"""Journeys: whether the linked journey table is current, how it was built, its sensitivity."""

import streamlit as st

from linkage.quality.sensitivity import largest_area_gaps, linkage_sensitivity
from workbench.analysis.journeys.build import build_journeys
from workbench.analysis.views.joins import area_gap_table, build_tables, sensitivity_table
from workbench.analysis.views.scope import journey_status
from workbench.ui.analysis_widgets import frame_downloads, journey_gate, leader_view
from workbench.ui.context import user_errors, workspace

st.title("Linked journeys")
st.write(
    "One row per case, following it from the police record through the CPS to the courts. "
    "Records are joined by the person links of the active model plus case evidence (URN, dates, "
    "offence group); records that join nothing stay as their own partial journeys."
)
ws = workspace()
if not journey_gate(ws, key="journeys"):
    st.stop()

with user_errors():
    status = journey_status(ws)
    info = status.info or {}
    # the model's name is long: it is named in the line above and under the figures, never
    # cut short in a metric box
    a, c = st.columns(2)
    a.metric("Journeys", f"{int(info.get('journeys', 0)):,}", border=True)
    c.metric("Threshold", f"{float(info.get('threshold') or 0):.3f}", border=True)
    st.caption(f"Model: {info.get('model_label') or '—'}")
    rebuild = status.state == "current" and not leader_view()
    if rebuild and st.button("Rebuild the journeys", key="journeys_rebuild"):
        with st.spinner("Building the linked journeys…"):
            built = build_journeys(ws)
        st.success(f"Rebuilt {built.journeys:,} journeys in {built.seconds:.1f} s.")

    counts, rules = build_tables(info)
    left, right = st.columns(2)
    left.subheader("Records in and out")
    left.dataframe(
        counts,
        hide_index=True,
        width="stretch",
        key="journeys_counts",
        column_config={
            c: st.column_config.NumberColumn(c, format="localized")
            for c in ("Records read", "Records in a journey")
        },
    )
    left.caption("Every source record is placed in exactly one journey; nothing is dropped.")
    with left:
        frame_downloads(
            counts, "Records in and out of the journeys", "journeys_counts", "journey_counts"
        )
    right.subheader("Join rules used")
    right.dataframe(
        rules,
        hide_index=True,
        width="stretch",
        key="journeys_rules",
        column_config={"Records": st.column_config.NumberColumn("Records", format="localized")},
    )
    right.caption(
        "A URN one character apart joins only records of the same person; joins on person and "
        "dates need the same area, dates in order and close enough, and no other candidate "
        "(ambiguous records stay unjoined)."
    )
    with right:
        frame_downloads(
            rules, "Join rules used to build the journeys", "journeys_rules", "journey_rules"
        )

    st.subheader("Linkage sensitivity")
    st.write(
        "The headline measures and the steps that depend on the record joins (first hearing of "
        "charged, completed of first hearing) recomputed from clusters at a lower and a higher "
        "threshold, and from the true links where the sample's truth files are loaded."
    )
    if st.button("Compute the sensitivity", key="journeys_sensitivity"):
        with st.spinner("Re-clustering and rebuilding the journeys at two more thresholds…"):
            frame = linkage_sensitivity(ws)
            st.session_state["journeys_sensitivity_table"] = sensitivity_table(frame)
            st.session_state["journeys_area_gaps"] = area_gap_table(largest_area_gaps(frame))
    table = st.session_state.get("journeys_sensitivity_table")
    if table is not None:
        st.dataframe(table, hide_index=True, width="stretch", key="journeys_sensitivity_view")
        frame_downloads(
            table, "Linkage sensitivity", "journeys_sensitivity", "linkage_sensitivity.csv"
        )
    gaps = st.session_state.get("journeys_area_gaps")
    if gaps is not None and not gaps.empty:
        st.markdown("**Largest gap to the truth per area** (charge rate and the join steps)")
        st.dataframe(gaps, hide_index=True, width="stretch", key="journeys_area_gaps_view")
        frame_downloads(
            gaps, "Largest gap to the truth per area", "journeys_area_gaps", "area_gaps.csv"
        )

with st.expander("Definitions"):
    st.markdown(
        """
- **Current**: the table was built from the active model at its current threshold. Training a
  new model, activating another or changing the threshold makes it stale.
- **Join rules**: a CPS file joins a police record, and a court case joins a CPS file, by the
  strongest rule available, then the closest dates; each record joins at most one other.
- **Sensitivity**: *lower* and *higher* are thresholds halfway between the active one and 0.5
  and 0.999; *truth* uses the true links. Large differences mean the measure depends on linkage.
  The per-area table shows, for each area, the charge rate or join step furthest from the truth;
  small bases make large gaps likely.
"""
    )
