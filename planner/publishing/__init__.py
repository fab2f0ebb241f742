"""Scheduled publishing: claim due posts, check everything again, send once, keep evidence.

The database row is the truth and the broker only a doorbell (DESIGN.md, "The post
lifecycle"). One module a step; :mod:`planner.publishing.services` is the door:

- ``dispatch`` (the periodic task's body) sweeps expired leases, claims due approved posts
  with a lease (:func:`planner.lifecycle.claim_due`) and picks unconfirmed posts that are due
  for reconciliation. The task layer enqueues one task per post.
- ``send.publish_one`` re-reads the post, checks the identity of the channel's credential
  (``clients``), then, as the last step before the network call and with the post's row
  locked, re-runs every send-time check (``checks.run_checks``, in ``send.begin_attempt``)
  and stores the delivery with its deterministic idempotency key; sends, and records the
  outcome (``outcomes``): published (with ``evidence``), held (a check failed), a retry
  (nothing was accepted), unconfirmed (the outcome is unknown) or failed (the platform
  refused the post).
- ``reconcile.reconcile_one`` settles an unconfirmed send: looked up on the platform, or
  re-sent with the *same* key while the platform still deduplicates it (through the same
  ``send.begin_attempt``, so the same checks), or failed with the reason. A re-send stopped
  by a check is never made; the lookups go on.
- ``pause`` and ``release``: a brand or channel paused and resumed (never a burst on
  resume), a held post re-confirmed by a person.

An attempt that may have reached the platform is marked "in flight" on its ``Delivery``
(committed before the request). It is also the per-post mutex: no second send starts while
one is in flight, and the sweeper turns an expired lease with a send in flight into
``unconfirmed`` instead of handing the post back to the dispatcher.
"""
