"""Column roles: confirm or change which person role each column plays."""

import streamlit as st

from workbench.persons.roles import ROLE_LABELS, Role, roles_table, save_roles
from workbench.ui.context import pick_dataset, user_errors, workspace

st.title("Column roles")
st.caption(
    "Tell the workbench which columns describe the person: names, date of birth, sex, postcode, "
    "identifiers. Suggestions come from the column names and values; confirm or change them."
)
ws = workspace()
info = pick_dataset(ws, key="roles_dataset")
if info is None:
    st.stop()

table = roles_table(ws, info.name)
if table.empty:
    st.warning("No roles are stored for this dataset yet; refresh its profile in the catalogue.")
    st.stop()
confirmed = bool(table["confirmed"].all())
if confirmed:
    st.success("Roles confirmed.", icon=":material/check_circle:")
else:
    st.info("These roles are suggestions. Check them, then confirm.", icon=":material/help:")

options = list(Role)
chosen: dict[str, Role] = {}
header = st.columns([2.6, 3, 1, 3.4])
for cell, text in zip(header, ["Column", "Role", "Confidence", "Why"], strict=True):
    cell.markdown(f"**{text}**")
for row in table.itertuples(index=False):
    column_cell, role_cell, conf_cell, why_cell = st.columns([2.6, 3, 1, 3.4])
    column_cell.code(row.column, language=None)
    chosen[row.column] = role_cell.selectbox(
        f"Role of {row.column}",
        options,
        index=options.index(Role(row.role)),
        format_func=lambda r: ROLE_LABELS[r],
        key=f"role_{info.name}_{row.column}",
        label_visibility="collapsed",
    )
    conf_cell.write("—" if row.confidence is None else f"{row.confidence:.0%}")
    why_cell.caption(row.reason or "")

if st.button("Confirm roles", key="confirm_roles", type="primary"):
    with user_errors():
        save_roles(ws, info.name, chosen, confirmed=True)
        st.success("Roles saved and confirmed.")
        st.rerun()
