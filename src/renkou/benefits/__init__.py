"""Family-support benefits (DOMAIN.md §5): programmes and amounts as data, eligibility over the registry.

* ``programmes`` — the programmes and their conditions (data/programmes.json), loaded and checked;
* ``amounts`` — dated amount tables and provincial/county layers (data/amounts.json); pure arithmetic;
* ``facts`` — the family-facts table: one row per potential beneficiary, built from the statistics
  model's columns (renkou.stats.model) for a date;
* ``eligibility`` — the pure core: each condition as a Polars expression over the facts, and the
  ``Decision`` with one ``ConditionResult`` per condition and the record it was decided from;
* ``service`` — ``Benefits(db)``: ``check``, ``candidates``, ``entitlement`` over the registry.
"""
