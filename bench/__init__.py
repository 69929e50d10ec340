"""Benchmarks for renkou (not part of the test suite).

Run from the repository root with the project's virtualenv:

    .venv/bin/python -m bench [--scenario NAME] [--size 10k|100k|1m] [--repeats N]

Each scenario lives in ``bench/scenarios/<name>.py``; every measured run happens in a fresh
subprocess (see ``bench.harness``) so that its peak memory is its own. Results are printed as one
JSON line per scenario and size on stdout; progress goes to stderr. See bench/README.md.
"""
