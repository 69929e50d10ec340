"""The rules of the family-support programmes, as data a county may override (RENKOU_BENEFIT_RULES);
the files are ``renkou/benefits/data/*.json``. Nothing here looks at a person.

* ``programmes`` — ``Programme``, ``Condition``, ``load``, ``parse``, ``rules_file``, ``read_json``: the
  programmes, their conditions, the day each began (``starts``);
* ``amounts`` — ``Amounts``, ``Entitlement``, ``Month``, ``entitlement``, ``load``: dated amount tables and
  provincial or county layers, pure arithmetic;
* ``exclusions`` — ``pairs``: the programmes one person may not receive together.
"""
