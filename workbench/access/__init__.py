"""Who may use the workbench: users, logins, sessions and the audit log."""
