"""Paying recipients: batches, the checks before release, the release, the bank's files.

* ``batches`` — ``create_batch``, ``get_batch``, ``lines_of``, ``list_batches``, ``void_line``, ``totals``,
  ``parse_period``;
* ``checks`` — ``run``, ``clear``, ``open_findings``: findings that block a line until cleared;
* ``release`` — ``release``: the checks again, then the lines without a finding go to the bank; ``figures``:
  the lines and money an officer confirms before;
* ``bankfile`` — ``export``, ``import_result``, ``load_layout``: the bank file and the bank's answer;
* ``batch_workflow``, ``line_workflow`` — the statuses, ``TRANSITIONS`` and ``move`` of a batch and a line.
"""
