"""The population registry: organisation units over time, persons, households, life events, and the
state of any unit or person as of any date (derived from events, never stored twice)."""
