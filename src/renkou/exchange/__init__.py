"""Getting data in and out: templates, CSV/XLSX readers, validated atomic imports, exports.

* ``templates`` — the columns of each import file kind: ``KINDS``, ``columns``, ``header_map``;
* ``area`` — the area rule of an import by a township or village account, run by the importer itself: ``check``;
* ``readers`` — CSV (UTF-8 or GB18030) and XLSX files as rows of text;
* ``importer`` — validated, atomic imports: ``run_import``, ``ImportResult``;
* ``exporter`` — tables and a unit's as-of snapshot to CSV, XLSX or Parquet: ``export``.

Dates in files are read by renkou.core.dates.parse_date.
"""
