"""Family-support benefits (DOMAIN.md §5), in the order of their stages; each sub-package's ``__init__``
names what it offers. The sub-packages import nothing here, so importing one costs only what it uses.

* ``rules`` — the programmes, their amounts and the programmes that exclude each other, as data;
* ``eligibility`` — the eligibility service ``Eligibility`` over the registry: the family facts, the
  conditions evaluated on them, the decisions and what they mean once attestations count;
* ``cycle`` — an application from the village to the county, postings, objections, recipients, the
  annual re-confirmation, exits, the three full coverages;
* ``payments`` — payment batches, the checks before release, the release, the bank's files;
* ``reports`` — recipients and money by unit, and the coverage of special-assistance families;

Each workflow's statuses and transitions are data in a module of its own (``cycle.application_workflow``,
``cycle.exit_workflow``, ``payments.batch_workflow``, ``payments.line_workflow``) built with
renkou.core.workflow. Who acts is renkou.auth.officer.Officer, checked by every service.

Not here: pages (renkou.web.benefits) and commands (renkou.cli.benefits*), thin shells over these.
"""
