"""Running the server: Hypercorn's trio worker with the stream front, signals and shutdown."""
