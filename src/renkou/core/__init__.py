"""The pure domain core: values in, values out. No I/O, no clock, no database.

* ``basis`` — the population bases 户籍/常住/现住: ``HUKOU``, ``RESIDENT``, ``CURRENT``, ``DEFAULT``, ``check``;
* ``birthorder`` — birth order by the configured rule: ``RULES``;
* ``cells`` — spreadsheet cells that could run as formulas written as text: ``csv_row``, ``xlsx_text``;
* ``codes`` — division codes and unit levels: ``LEVELS``, ``check_code``;
* ``dates`` — the one date parser and age rule: ``parse_date``, ``age``, ``day``, ``date_of``;
* ``events`` — kinds of life event and what each carries: ``EVENT_KINDS``;
* ``idnumber`` — resident ID numbers: ``validate``, ``make``, ``mask``;
* ``numbers`` — how numbers print: ``count``, ``average``, ``rate``, ``money``, ``wan``;
* ``pinyin`` — pinyin search keys of names;
* ``problems`` — the one catalogue of validation problems: ``Problem``, ``problem``;
* ``workflow`` — statuses and transitions of a workflow as data, ``move`` refusing an unlisted one: ``Workflow``;
* ``vocab`` — controlled vocabularies (ethnicity, hukou types, relations, sources): ``lookup``.
"""
