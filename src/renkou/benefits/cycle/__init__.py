"""The annual cycle, from the village worker's application to the county's confirmation, and what
follows for a recipient. Every function takes the acting ``Officer`` and checks role and area.

* ``applications`` — ``apply``, ``check_application``, ``village_review``, ``township_review``, ``confirm``,
  ``reject``, ``get_application``, ``list_applications``, ``count_applications``, ``status_counts``,
  ``mask_account``;
* ``application_workflow`` — the application's ``STATUSES``, ``TRANSITIONS`` and ``move``;
* ``intake`` — ``import_file``: applications from a CSV or XLSX file, all or nothing;
* ``posting`` — ``post``, ``end_posting``, ``notice``: the public posting (公示);
* ``objections`` — ``raise_objection``, ``resolve``;
* ``recipients`` — ``get_recipient``, ``list_recipients``, ``count_recipients``, ``set_account``;
* ``renewal`` — ``reconfirm``: the annual re-confirmation;
* ``exits`` — ``detect``, ``decide``, ``list_exits``, ``count_exits``; ``exit_workflow`` — the exit's statuses and ``move``;
* ``coverage`` — ``record``, ``end``, ``in_area``: the three full coverages of special-assistance families.
"""
