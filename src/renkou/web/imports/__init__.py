"""The import page (/import) — a thin shell over renkou.exchange.importer, which applies the account's
area rule itself.

* ``pages`` — upload, the job page with its progress, the error report, commit;
* ``jobs`` — a job's folder under the server's data directory, its record, the work in a thread;
* ``area`` — how a refused row of the area rule is shown (``Finding``).
"""
