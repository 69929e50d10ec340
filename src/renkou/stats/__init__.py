"""Statistics engine: indicators, ledgers and standard reports computed from the registry's records.

* ``periods`` — reporting periods (month, quarter, half-year, year, statistical year, YTD, ranges);
* ``model`` — the analytical layer: columnar copies of the registry, refreshed from the change feed;
* ``snapshot`` — the model saved on disk (Arrow files) so a new process starts from it;
* ``engine`` — counts per unit and period from those columns, rolled up the organisation tree;
* ``catalogue`` — the indicator catalogue (data, in ``data/indicators.json``) and its formulas;
* ``reports`` / ``ledgers`` — standard reports (templates in ``data/reports``) and ledgers;
* ``rates`` — rounding (四舍五入), rates and their confidence intervals: ``rate``, ``rates``, ``round_half_up``;
* ``service`` — ``Stats``: queries over the model (``indicators``, ``population``) for every surface;
* ``picked`` — indicators chosen from the catalogue as one table, a row per unit (the indicators page);
* ``table`` / ``render`` — one table shape, rendered to JSON, CSV, XLSX and PDF;
* ``exchange`` — DHIS2 dataValueSets JSON and ADX XML.
"""
