"""The administration pages: user accounts (``users``: create, reset, unlock, deactivate) and the
audit trail by changeset (``audit``)."""
