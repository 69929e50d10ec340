"""Synthetic county generator: a simulated, fictitious population with history.

* ``simulate`` — the microsimulation, year by year: ``Simulation``, ``Population``, ``Params``;
* ``demography`` / ``calibration`` — the schedules it follows and the measure of a result against them;
* ``county`` / ``names`` — the county's organisation and invented names;
* ``build`` — from a population to a county's tables: ``generate``, ``summary``;
* ``store`` — a county into a database or import files: ``to_database``, ``to_files``;
* ``external`` / ``noise`` — other departments' files with realistic mistakes: ``write_external``.
"""
