"""Eligibility over the registry: the family facts, the conditions evaluated on them, the decisions."""
