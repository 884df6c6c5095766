"""Users and roles: who may log in to the shared app, with which roles and areas (admins only)."""

import pandas as pd
import streamlit as st

from workbench.access.auth import ALL_AREAS, ROLES, load_auth_settings
from workbench.access.passwords import is_locked
from workbench.access.users import delete_user, list_users, save_user, unlock_user
from workbench.sample.names import AREAS
from workbench.ui.context import user_errors, workspace
from workbench.ui.login import acting_user

st.title("Users and roles")
st.caption(
    "Who may log in to the shared app. Leaders see only the published dashboards for their "
    "areas; analysts and trainers see the data and linkage pages; admins also manage users "
    "and read the audit log. Every change is written to the audit log."
)
ws = workspace()
settings = load_auth_settings()
flash = st.session_state.pop("users_flash", None)
if flash:
    st.success(flash, icon=":material/check:")
with user_errors():
    actor = acting_user()
    users = list_users(ws, actor)
    if users:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "user name": u.username,
                        "email": u.email,
                        "name": u.display_name,
                        "roles": ", ".join(u.roles),
                        "areas": ", ".join(u.areas),
                        "active": u.active,
                        "password login": u.has_password,
                        "locked": is_locked(ws, u.username, settings),
                    }
                    for u in users
                ]
            ),
            hide_index=True,
            width="stretch",
        )
    else:
        st.info("No users yet. Add the first admin below before serving the app in shared mode.")

    names = [u.username for u in users]
    st.subheader("Add or change a user")
    chosen = st.selectbox("User", ["(new user)", *names], key="users_pick")
    current = next((u for u in users if u.username == chosen), None)
    area_names = [ALL_AREAS, *(a.name for a in AREAS)]
    with st.form("users_form", clear_on_submit=True):
        username = st.text_input(
            "User name",
            value=current.username if current else "",
            key=f"users_name_{chosen}",
            disabled=current is not None,
        )
        email = st.text_input(
            "Email (as the identity provider reports it)",
            value=(current.email or "") if current else "",
            key=f"users_email_{chosen}",
        )
        display_name = st.text_input(
            "Display name",
            value=(current.display_name or "") if current else "",
            key=f"users_display_{chosen}",
        )
        roles = st.multiselect(
            "Roles",
            ROLES,
            default=list(current.roles) if current else ["leader"],
            key=f"users_roles_{chosen}",
        )
        areas = st.multiselect(
            "Areas",
            area_names,
            default=list(current.areas) if current else [],
            key=f"users_areas_{chosen}",
        )
        password = st.text_input(
            "New password (for password logins; leave empty to keep)",
            type="password",
            key=f"users_password_{chosen}",
        )
        active = st.checkbox(
            "Active", value=current.active if current else True, key=f"users_active_{chosen}"
        )
        submitted = st.form_submit_button("Save user", key="users_save")
    if submitted:
        saved = save_user(
            ws,
            actor,
            current.username if current else username,
            roles,
            areas,
            email=email,
            display_name=display_name or None,
            password=password or None,
            active=active,
        )
        st.session_state["users_flash"] = f"Saved {saved.username}."
        st.rerun()

    if current is not None:
        left, right = st.columns(2)
        if left.button("Unlock after failed logins", key="users_unlock"):
            unlock_user(ws, actor, current.username)
            st.session_state["users_flash"] = f"Unlocked {current.username}."
            st.rerun()
        if right.button("Delete user", key="users_delete", type="secondary"):
            st.session_state["users_confirm_delete"] = current.username
        if st.session_state.get("users_confirm_delete") == current.username:
            st.warning(
                f"Delete {current.username}? They can no longer log in, and their sessions end "
                "at once. This cannot be undone.",
                icon=":material/warning:",
            )
            yes, no = st.columns(2)
            if yes.button(f"Yes, delete {current.username}", key="users_delete_confirm"):
                st.session_state.pop("users_confirm_delete", None)
                delete_user(ws, actor, current.username)
                st.session_state["users_flash"] = f"Deleted {current.username}."
                st.session_state.pop("users_pick", None)
                st.rerun()
            if no.button("Cancel", key="users_delete_cancel"):
                st.session_state.pop("users_confirm_delete", None)
                st.rerun()

st.page_link("pages/audit.py", label="Read and export the audit log", icon=":material/history:")
