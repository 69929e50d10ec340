"""Statistics engine: indicators, ledgers and standard reports computed from the registry's records.

* ``periods`` — reporting periods (month, quarter, half-year, year, statistical year, YTD, ranges);
* ``model`` — the analytical layer: columnar copies of the registry, refreshed from the change feed;
* ``engine`` — counts per unit and period from those columns, rolled up the organisation tree;
* ``catalogue`` — the indicator catalogue (data, in ``data/indicators.json``) and its formulas;
* ``reports`` / ``ledgers`` — standard reports (templates in ``data/reports``) and ledgers;
* ``table`` / ``render`` — one table shape, rendered to JSON, CSV, XLSX and PDF;
* ``exchange`` — DHIS2 dataValueSets JSON and ADX XML.
"""
