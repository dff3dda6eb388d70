"""What several benchmark scripts share; no script imports another script.

- ``results``: where result files go (``bench/results/<suite>.json``, ``--out``) and the run's context.
- ``measure``: a process's CPU time and RSS from ``/proc``, CPU pinning, percentiles.
- ``server``: the fake adapters' settings and the ``autbot serve`` command line for a server process.
- ``asgi``: raw ASGI calls into an app in one event loop, the bare Litestar handlers the app is compared to.
- ``loadgen``: the Go load generator (``bench/loadgen``) and an aiohttp request loop.
- ``corpus``: synthetic documents and queries.
- ``fake_upstream``, ``bare_server``: small servers run as processes of their own (``python -m``).
"""
