"""The built-in demo county (fictitious people), used by `make demo` and by the tests.

* ``fixture`` — a small deterministic county written as import files and loaded through the real
  importer: ``load``, ``DEMO_ACTOR``.
"""
