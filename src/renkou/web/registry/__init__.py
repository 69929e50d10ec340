"""The registry pages — a thin shell over renkou.registry, whose services check role and area.

* ``pages`` — person search, the person page (with the audited reveal), the organisation tree;
* ``forms`` — the registration forms' index and the forms of births, deaths, moves and marriages;
* ``forms_common`` — what the forms share: reading a form, the person picker, problems next to fields;
* ``forms_birth``, ``forms_events`` — the birth form (with its duplicate check) and the other events;
* ``forms_correct`` — corrections and retractions of events.
"""
