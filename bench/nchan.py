"""nginx with the nchan module, as a reference of the benchmark, when Debian's package is there.

``python bench/nchan.py --port 8003`` writes an nginx configuration to a temporary folder and
runs nginx in the foreground (one worker) on 127.0.0.1 with it, until SIGTERM or SIGINT:

- ``POST /api/sessions/{id}/events`` publishes the request body as one message on channel ``id``
  (a JSON array of events is one message: nchan does not look inside);
- ``GET /sse/{id}`` subscribes over EventSource, from the oldest message kept (500 per channel)
  or after ``Last-Event-ID``.

:func:`module` is the module's path, or ``None`` when ``libnginx-mod-nchan`` is not installed.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
from pathlib import Path

MODULES = (
    Path("/usr/lib/nginx/modules/ngx_nchan_module.so"),
    Path("/usr/share/nginx/modules/ngx_nchan_module.so"),
)
CONFIG = """\
daemon off;
worker_processes 1;
worker_rlimit_nofile {files};
pid {tmp}/nginx.pid;
error_log stderr warn;
load_module {module};
events {{ worker_connections 60000; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen {host}:{port};
        location ~ ^/api/sessions/([^/]+)/events$ {{
            nchan_publisher;
            nchan_channel_id $1;
            nchan_message_buffer_length 500;
            nchan_message_timeout 1h;
        }}
        location ~ ^/sse/([^/]+)$ {{
            nchan_subscriber eventsource;
            nchan_channel_id $1;
            nchan_subscriber_first_message oldest;
        }}
    }}
}}
"""


def nginx() -> str | None:
    """The nginx executable, or ``None``."""
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None
    )


def module() -> Path | None:
    """The nchan module's path, or ``None`` when it (or nginx) is not installed."""
    if nginx() is None:
        return None
    return next((path for path in MODULES if path.exists()), None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    found, executable = module(), nginx()
    if found is None or executable is None:
        sys.exit("nchan: nginx or libnginx-mod-nchan is not installed")
    tmp = tempfile.mkdtemp(prefix="sluice-bench-nchan-")
    config = Path(tmp, "nginx.conf")
    files = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    settings = {"tmp": tmp, "module": found, "host": args.host, "port": args.port, "files": files}
    config.write_text(CONFIG.format(**settings))
    # exec: this process becomes nginx's master, so the bench's signals and probes reach it.
    os.execv(executable, [executable, "-p", tmp, "-e", "stderr", "-c", str(config)])


if __name__ == "__main__":
    main()
