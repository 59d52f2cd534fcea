"""Which origins may read the hub from a browser (CORS), and which may write to it, on plain
values: request headers in, response headers out. No web framework here.

The rules come from the Fetch standard's CORS protocol (https://fetch.spec.whatwg.org/#http-cors-protocol):

- Origins listed by ``--cors-origins`` may read with credentials (the ``sluice_token`` cookie):
  their answers carry ``Access-Control-Allow-Origin: <origin>`` and
  ``Access-Control-Allow-Credentials: true``.
- ``*`` in the list lets every other origin read *without* credentials
  (``Access-Control-Allow-Origin: *``, never together with ``Allow-Credentials``).
- Every answer of a hub with listed origins carries ``Vary: Origin``: it depends on the origin.
- Nothing listed (the default): no cross-origin access; no CORS header is ever sent.

A preflight (``OPTIONS`` with ``Origin`` and ``Access-Control-Request-Method``) is answered with
the path's methods and the request headers the hub reads, by name (``*`` would not cover
``Authorization``).

Writes are judged by their ``Origin`` too (a form or ``fetch`` from a foreign page sends one,
and needs no preflight for a form-encoded or ``text/plain`` body): the hub's own origin, or an
allowed one, or none at all (not a browser). The hub's own origin is ``--public-origin`` when set
(behind a proxy that rewrites ``Host``), else the origin whose host is the request's ``Host``.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

import attrs

#: Request headers the hub reads, allowed in every preflight (RFC 9110, WHATWG HTML, the
#: IETF Idempotency-Key draft).
ALLOWED_HEADERS = ("Authorization", "Content-Type", "Idempotency-Key", "Last-Event-ID")
#: Response headers a page may read besides the CORS-safelisted ones.
EXPOSED_HEADERS = ("Retry-After", "WWW-Authenticate")
#: Seconds a browser may cache a preflight's answer (Chromium caps it at 7200).
MAX_AGE = 600
ANY_ORIGIN = "*"


def is_origin(text: str) -> bool:
    """True for a serialised origin, ``scheme://host[:port]`` in lower case, with no path, query,
    fragment or user (RFC 6454 section 6.2; what a browser sends in ``Origin``)."""
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return False
    return (
        text == text.lower()
        and bool(parts.scheme)
        and bool(parts.hostname)
        and text == f"{parts.scheme}://{parts.netloc}"
        and "@" not in parts.netloc
        and (port is None or parts.netloc.endswith(f":{port}"))
    )


def is_preflight(origin: str | None, request_method: str | None) -> bool:
    """Whether an ``OPTIONS`` request with these ``Origin`` and
    ``Access-Control-Request-Method`` values (``None``: not sent) is a CORS preflight, which
    has CORS headers of its own (Fetch standard, "CORS-preflight request")."""
    return origin is not None and request_method is not None


@attrs.frozen
class Preflight:
    """The answer to an ``OPTIONS`` request: ``status`` (204, or 403 with ``refusal`` saying
    why) and the response headers."""

    status: int
    headers: list[tuple[str, str]]
    refusal: str | None = None


@attrs.frozen
class CorsPolicy:
    """The origins that may read and write across origins, and the hub's own public origin.

    ``origins`` are serialised origins (see :func:`is_origin`), or ``*``.
    """

    origins: frozenset[str] = attrs.field(default=frozenset(), converter=frozenset)
    public_origin: str | None = None

    @property
    def enabled(self) -> bool:
        """Whether any cross-origin access is allowed."""
        return bool(self.origins)

    def listed(self, origin: str) -> bool:
        """Whether ``origin`` is listed by name: it may read with credentials."""
        return origin != ANY_ORIGIN and origin in self.origins

    def allowed(self, origin: str) -> bool:
        """Whether ``origin`` may read cross-origin (listed, or ``*`` is listed)."""
        return self.listed(origin) or ANY_ORIGIN in self.origins

    def same_origin(self, origin: str, host: str | None) -> bool:
        """Whether ``origin`` is the hub's own: ``public_origin`` when set, else the origin
        whose ``host[:port]`` is ``host`` (the request's ``Host``, any scheme: TLS may end at a
        proxy)."""
        if self.public_origin is not None:
            return origin == self.public_origin
        return host is not None and origin.partition("://")[2] == host.lower()

    def may_write(self, origin: str | None, host: str | None) -> bool:
        """Whether a write (publish, regenerate, session create or clear) with this ``Origin``
        may go ahead: none sent (not a browser), the hub's own, or an allowed one."""
        return origin is None or self.same_origin(origin, host) or self.allowed(origin)

    def may_start_work(self, origin: str | None, host: str | None, fetch_site: str | None) -> bool:
        """Whether a ``GET`` that starts work (the run endpoint) and carries a cookie or query
        token may: its ``Origin`` is the hub's own or listed by name, or, without ``Origin``,
        ``Sec-Fetch-Site`` is ``same-origin`` (Fetch Metadata). A link on another site cannot
        start a run."""
        if origin is not None and (self.same_origin(origin, host) or self.listed(origin)):
            return True
        return fetch_site == "same-origin"

    def _allow(self, origin: str | None) -> list[tuple[str, str]]:
        headers = [("Vary", "Origin")]
        if origin is None or not self.allowed(origin):
            return headers
        if self.listed(origin):
            return [
                *headers,
                ("Access-Control-Allow-Origin", origin),
                ("Access-Control-Allow-Credentials", "true"),
            ]
        return [*headers, ("Access-Control-Allow-Origin", ANY_ORIGIN)]

    def response_headers(self, origin: str | None) -> list[tuple[str, str]]:
        """The CORS headers of an answer (a stream's included) to a request with ``Origin``
        ``origin`` (``None``: not sent). Empty when nothing is listed."""
        if not self.enabled:
            return []
        headers = self._allow(origin)
        if len(headers) > 1:
            headers.append(("Access-Control-Expose-Headers", ", ".join(EXPOSED_HEADERS)))
        return headers

    def options(
        self, origin: str | None, request_method: str | None, methods: Iterable[str]
    ) -> Preflight:
        """The answer to an ``OPTIONS`` request of a path that takes ``methods``.

        A preflight (``Origin`` and ``Access-Control-Request-Method`` sent) from an allowed
        origin for one of ``methods`` is a 204 with the methods and the headers the hub reads;
        from another origin, or for another method, a 403 with the reason. Any other
        ``OPTIONS`` is a 204 with ``Allow`` (RFC 9110 section 9.3.7) and the CORS headers of
        any answer (:meth:`response_headers`).
        """
        taken = sorted(set(methods) | {"OPTIONS"})
        if origin is None or request_method is None:  # not a preflight (is_preflight)
            return Preflight(204, [("Allow", ", ".join(taken)), *self.response_headers(origin)])
        taken.remove("OPTIONS")
        vary = [("Vary", "Origin")]
        if not self.allowed(origin):
            return Preflight(
                403,
                vary,
                f"origin {origin} may not read this hub: list it with --cors-origins",
            )
        if request_method not in taken:
            return Preflight(
                403, vary, f"{request_method} is not allowed here; allowed: {', '.join(taken)}"
            )
        headers = [
            *self._allow(origin),
            ("Access-Control-Allow-Methods", ", ".join(taken)),
            ("Access-Control-Allow-Headers", ", ".join(ALLOWED_HEADERS)),
            ("Access-Control-Max-Age", str(MAX_AGE)),
        ]
        return Preflight(204, headers)

    def stream_headers(
        self, request_headers: Iterable[tuple[bytes, bytes]]
    ) -> tuple[tuple[str, str], ...]:
        """:meth:`response_headers` for a request given as raw header pairs (an ASGI scope's or
        h11's, names in lower case): what the stream paths add to a stream's answer."""
        origin = next((value for name, value in request_headers if name == b"origin"), None)
        return tuple(self.response_headers(None if origin is None else origin.decode("latin-1")))
