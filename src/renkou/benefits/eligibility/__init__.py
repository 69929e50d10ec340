"""Eligibility over the registry: who meets a programme's conditions on a day, and why.

* ``service`` — ``Eligibility(db)``, the eligibility service (``check``, ``check_all``, ``candidates``,
  ``entitlements``, ``determine``), the one name every page, command and service uses for it; and
  ``current_recipients``;
* ``conditions`` — ``evaluate``, ``decisions``, ``condition_expr``, ``prefilter``: each condition as one
  Polars expression over the facts;
* ``decision`` — ``When``, ``Decision``, ``ConditionResult``, ``Record``: plain values;
* ``records`` — ``records_for``: the registry records a condition was decided from;
* ``facts`` — ``Sources``, ``parents``, ``children``: the family-facts table for a day;
* ``details`` — ``Details``: hukou types and disability grades the statistics model does not carry;
* ``verdict`` — ``Verdict``, ``judge``, ``on_day``, ``for_year``: a decision once attested facts count.

Not here: anything written (renkou.benefits.cycle, renkou.benefits.payments).
"""
