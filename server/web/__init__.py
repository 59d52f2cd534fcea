"""The HTTP app: the Quart-Trio app factory, its request helpers and its REST routes
(publish, polling, session stats and clear, regenerate, the agent run, health, metrics,
schemas)."""
