"""Serving a stream: admission (the checks, once per request), the body (frames from the
broadcaster), the sans-IO response writer, and the two paths that write it (the front on the
socket, the ASGI handler behind Hypercorn)."""
