"""The Sluice HTTP server: a Quart-Trio app on Hypercorn's trio worker."""
