"""Capacity planning (Qt-free): fix comparisons, capacity sweeps and the analytic estimate.

- :mod:`.edits` — scenario edits as real edited copies (NAT gateway, outbound rule, frontend
  IPs, instance IPs, connection pools, VM and IP counts);
- :mod:`.fieldpath` — the ``--vary PATH=VALUES`` language of sweeps;
- :mod:`.estimate` — ports a VM needs from the documented numbers (Poisson p99);
- :mod:`.runs` — one run as it travels to a worker (file text in, report JSON out);
- :mod:`.execute` — Dask (local cluster or ``--scheduler``) or in-process execution, progress,
  cancellation;
- :mod:`.search` — bisection over runs; :mod:`.fixes` — the comparison; :mod:`.sweep` — sweeps;
- :mod:`.html` — the self-contained HTML report of either.

It uses only the model's API and ``designer.sim.report.simulate`` / ``dumps_report`` (and the
documented numbers of ``designer.sim.ports``), never the engine's internals.
"""
