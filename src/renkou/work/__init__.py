"""Work queues: what is waiting for the signed-in officer, counted within its area and only for what its
role may do, each kind with the page that lists it (the home page shows them).

* ``queues`` — the queue kinds as data (``QueueKind``: key, Chinese and English names, the permission, the
  count function, the link) in ``KINDS``; ``pending`` counts those the officer may work on;
  ``births_without_id`` lists the persons born alive who have no ID number yet.
"""
