"""The built-in demo county (fictitious people), used by `make demo` and by the tests."""
