"""renkou (人口): county and township population monitoring and family services.

Packages, from the inside out: ``core`` (pure domain values), ``storage`` (schema, database),
``auth`` (accounts, roles, scope), ``registry`` (units, persons, events, state as of a date),
``exchange`` (import and export files), ``stats`` (indicators and reports), ``benefits``
(family-support programmes), ``synth`` and ``demo`` (fictitious counties), and the two shells
``cli`` and ``web``. ``config.Settings`` holds every setting; ``errors`` the bilingual user errors.
"""

__version__ = "0.1.0"
