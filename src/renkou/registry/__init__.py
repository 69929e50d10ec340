"""The population registry: organisation units over time, persons, households, life events, and the
state of any unit or person as of any date (derived from events, never stored twice).

* ``orgs`` — units versioned by date (renames, merges, splits): ``create_unit``, ``get_unit``, ``Hierarchy``;
* ``persons`` — persons and households: ``add_person``, ``get_person``, ``search``, ``find`` (with status, counted,
  paged), ``family``, ``amend_person``;
* ``events`` — life events, append-only: ``record``, ``correct``, ``retract`` (each taking the acting officer);
* ``log`` — which events are in force (neither superseded nor retracted): ``in_force``;
* ``asof`` — state on a date: ``population`` (bases hukou and current), ``members``, ``person_state``,
  ``household_members``, ``birth_order``;
* ``audit`` — the audit trail and reveals: ``reveal``.
"""
