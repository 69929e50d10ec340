"""The administration pages: user accounts (``users``: create, reset, unlock, deactivate, clear a lost
second factor) and the audit trail by changeset (``audit``), with the names of its tables, fields and
statuses (``audit_names``) and its XLSX export (``audit_export``)."""
