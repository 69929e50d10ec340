"""The `renkou` command line: a thin shell over the registry, exchange, statistics and benefit services.

* ``app`` — the root command, its sub-apps and exit codes: ``app``, ``main``;
* ``context`` — what every command shares: ``State`` (settings, the database, the statistics service),
  ``state``, ``console``, ``parse_date_opt``;
* one module per group of commands: ``registry`` (person, org, event, population, audit), ``data``
  (import, export, template, demo), ``stats`` (indicators, report, ledger), ``benefits*``, ``synth``,
  ``users``, ``serve``.

docs/cli.md is generated from these commands (docs/gen.py).
"""
