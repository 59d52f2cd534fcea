"""The Sluice HTTP server: a Quart-Trio app on Hypercorn's trio worker.

Laid out by concern:

- :mod:`server.web`: the Quart-Trio app and its routes;
- :mod:`server.streaming`: admission, the stream body, the response writer, the front;
- :mod:`server.security`: auth, access checks, limits;
- :mod:`server.serving`: Hypercorn's worker, signals, shutdown;
- beside them: the hub (:mod:`server.hub`), settings, the CLI, logs, metrics, problems, the agent.
"""
