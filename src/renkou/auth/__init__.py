"""Accounts, roles and the organisation scope every query is limited to."""
