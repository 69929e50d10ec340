"""The administration pages: user accounts (``users``) and the audit trail (``audit``)."""
