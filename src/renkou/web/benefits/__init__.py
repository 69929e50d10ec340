"""The family-support benefit pages (/benefits...): the annual cycle (applications, reviews, public
posting and objections, confirmation), exits and re-confirmation, recipients, payment batches and the
bank's files, and the reports — a thin shell over renkou.benefits, whose services check every role,
area and step. The village worker enters, the township reviews, the county confirms and pays, the
auditor reads everything of its area.

* ``common`` — the account as an Officer, acting in its audited transaction, refusals as pages;
* ``cycle`` — the applications: list, entry, import, one application with its steps and objections;
* ``postings`` — the public postings and their printable notices;
* ``exits`` — exit proposals, their decisions, the yearly re-confirmation;
* ``payments`` — recipients, accounts, batches, checks, the bank file and its result;
* ``reports`` — recipients and money, and the three full coverages.
"""

from renkou.web.benefits import cycle, exits, payments, postings, reports

ROUTERS = tuple(m.router for m in (cycle, postings, exits, payments, reports))  # included by the application factory
