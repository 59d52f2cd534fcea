"""Sluice against the fastest SSE servers, side by side, in one run (``nox -s bench``).

The references: sse-starlette on uvicorn (the usual Python choice), better-sse on Node
(``bench/better-sse``, installed by ``npm ci``) and nginx with the nchan module (C), the last
when Debian's ``libnginx-mod-nchan`` is installed (a line says it is skipped otherwise).

For every scenario and every server in turn, a fresh server process is started pinned to one
core, the load generator (``loadgen.py``) runs pinned to the other core, and the server is
stopped. The ``workers`` scenario compares ``sluice serve --workers 2`` on a Redis of the
bench's own with one process on the memory backplane, neither pinned; unpinned, it is the
noisiest, so it runs at least ``SCALING_RUNS`` times. Figures are medians over ``--repeat`` runs
(servers alternate, so drift on a shared machine hits both). The table, with
the ratio of Sluice's figure to each reference's, is printed with the issue's targets;
``bench/results/latest.json``, ``latest.png`` and ``latest.md`` (the README's table) hold the
same results.

Everything listens and connects on 127.0.0.1 only. Every child process is stopped on every
way out (normal end, error, Ctrl-C, SIGTERM).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import nchan
from report import chart, markdown, ratios, summarise, table, targets

HERE = Path(__file__).resolve().parent
HOST = "127.0.0.1"


@dataclass(frozen=True)
class Scenario:
    """One load shape; fields map onto ``loadgen.py`` flags. ``scaling`` scenarios compare
    Sluice's processes with each other, the others every server."""

    name: str
    title: str
    kind: str
    subscribers: int
    sessions: int = 1
    duration: float = 5.0
    batch: int = 10
    publishers: int = 1
    rate: float = 10.0
    concurrency: int = 64
    scaling: bool = False

    def flags(self) -> list[str]:
        return [
            *("--name", self.name, "--kind", self.kind),
            *("--subscribers", str(self.subscribers), "--sessions", str(self.sessions)),
            *("--duration", str(self.duration), "--batch", str(self.batch)),
            *("--publishers", str(self.publishers), "--rate", str(self.rate)),
            *("--connect-concurrency", str(self.concurrency)),
        ]


def scenarios(args: argparse.Namespace) -> list[Scenario]:
    """The scenarios of this run, scaled down by ``--quick``."""
    quick = args.quick
    duration = args.duration or (2.0 if quick else 4.0)
    idle = args.idle_connections or (2_000 if quick else 10_000)
    storm = args.storm_clients or (2_000 if quick else 10_000)
    batch = args.batch
    all_scenarios = [
        Scenario("burst-100", f"100 subscribers, 1 session, burst of {batch}-event requests",
                 "burst", 100, duration=duration, batch=batch),
        Scenario("burst-1000", f"1,000 subscribers, 1 session, burst of {batch}-event requests",
                 "burst", 1000, duration=duration, batch=batch),
        Scenario("single-1000", "1,000 subscribers, 1 session, burst of 1-event requests from"
                 " 4 concurrent publishers", "burst", 1000, duration=duration, batch=1,
                 publishers=4),
        Scenario("publish-20", "single-event publishes from 20 keep-alive publishers, 10"
                 " sessions x 1 subscriber", "burst", 10, sessions=10, duration=duration,
                 batch=1, publishers=20),
        Scenario("paced-1000", f"1,000 subscribers, 1 session, {args.rate:g} events/s, one per"
                 " request", "paced", 1000, duration=duration + 1, rate=args.rate),
        Scenario("sessions-100x10", f"100 sessions x 10 subscribers, burst of {batch}-event"
                 " requests from 4 publishers", "burst", 1000, sessions=100, duration=duration,
                 batch=batch, publishers=4),
        Scenario("connect-1000", "1,000 subscribers connecting at once (time until every"
                 " response head)", "idle", 1000, duration=0.5, concurrency=1000),
        Scenario(f"idle-{idle}", f"{idle:,} idle streams over 100 sessions (then 1 event per"
                 " session)", "idle", idle, sessions=100, duration=2.0, concurrency=256),
        Scenario(f"storm-{storm}", f"{storm:,} streams over 100 sessions dropped at once while"
                 " 200 events/s flow, reconnecting with Last-Event-ID", "storm", storm,
                 sessions=100, duration=4.0 if quick else 6.0, rate=200, concurrency=256),
        Scenario("workers", f"1,000 subscribers, 1 session, burst of {batch}-event requests from"
                 " 4 publishers; no pinning", "burst", 1000, duration=duration, batch=batch,
                 publishers=4, scaling=True),
    ]  # fmt: skip
    if args.scenarios:
        wanted = set(args.scenarios.split(","))
        chosen = [s for s in all_scenarios if s.name in wanted or s.kind in wanted]
        if not chosen:
            sys.exit(f"no scenario matches {args.scenarios!r}: {[s.name for s in all_scenarios]}")
        return chosen
    return all_scenarios


@dataclass
class Server:
    """How to start one server on a port: ``{port}`` and ``{redis}`` in ``argv`` are filled in.

    ``scaling``: the server runs only the scaling scenarios, unpinned; the others run every
    other scenario, pinned to one core.
    """

    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    scaling: bool = False

    def command(self, port: int, redis: str) -> list[str]:
        return [part.replace("{port}", str(port)).replace("{redis}", redis) for part in self.argv]

    def runs(self, scenario: Scenario) -> bool:
        return self.scaling == scenario.scaling or (scenario.scaling and self.name == SLUICE)


SLUICE = "sluice"
#: The fewest runs of a scaling scenario: three processes share two cores there, and a single
#: run's ratio moved from 0.95x to 1.24x between runs on a quiet machine.
SCALING_RUNS = 3
# The references, in the order of the table: each one's ratio is Sluice's figure over its own.
REFERENCES = ("reference", "better-sse", "nchan")


def servers(args: argparse.Namespace) -> list[Server]:
    """The servers of this run; one that cannot run here is left out with a line saying why."""
    sluice = [str(Path(sys.executable).with_name("sluice")), "serve", "--host", HOST]
    sluice += ["--port", "{port}", "--no-auth"]
    # Environment, not flags: a setting the server does not know is then harmless.
    quiet = {"SLUICE_LOG_LEVEL": "warning", "SLUICE_MAX_CONNECTIONS_PER_USER": "1000000"}
    node = [shutil.which("node") or "node", str(HERE / "better-sse" / "app.mjs")]
    known = {
        "reference": Server(
            "reference", [sys.executable, str(HERE / "reference_app.py"), "--port", "{port}"]
        ),
        "better-sse": Server("better-sse", [*node, "--port", "{port}"]),
        "nchan": Server("nchan", [sys.executable, str(HERE / "nchan.py"), "--port", "{port}"]),
        SLUICE: Server(SLUICE, sluice, quiet),
        "sluice-workers": Server(
            "sluice-workers",
            [*sluice, "--workers", "2", "--backplane", "redis", "--redis-url", "{redis}"],
            quiet,
            scaling=True,
        ),
    }
    names = args.servers.split(",")
    unknown = set(names) - set(known)
    if unknown:
        sys.exit(f"unknown server(s) {sorted(unknown)}; known: {sorted(known)}")
    missing = {
        "better-sse": None
        if (HERE / "better-sse" / "node_modules" / "better-sse").exists() and shutil.which("node")
        else "node or bench/better-sse/node_modules missing (run npm ci in bench/better-sse)",
        "nchan": None
        if nchan.module()
        else "nginx with libnginx-mod-nchan is not installed (apt-get install nginx-light"
        " libnginx-mod-nchan)",
        "sluice-workers": None if shutil.which("redis-server") else "redis-server not found",
    }
    chosen = []
    for name in names:
        reason = missing.get(name)
        if reason:
            print(f"bench: {name} skipped: {reason}", flush=True)
        else:
            chosen.append(known[name])
    return chosen


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _pinned(cpu: int | None) -> Callable[[], None] | None:
    """What a child runs before exec to pin itself to ``cpu``."""
    if cpu is None:
        return None
    return lambda: os.sched_setaffinity(0, {cpu})


class Running:
    """A started server process; ``stop()`` ends it (and its process group) in every case."""

    def __init__(self, server: Server, cpu: int | None, log: Path, redis: str = "") -> None:
        self.port = free_port()
        self.log = log
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                server.command(self.port, redis),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, **server.env},
                start_new_session=True,
                preexec_fn=_pinned(cpu),
            )

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}: see {self.log}")
            try:
                with socket.create_connection((HOST, self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"server not listening after {timeout:.0f}s: see {self.log}")

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        for sig, wait in ((signal.SIGTERM, 8.0), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.process.wait(wait)
                return
            except subprocess.TimeoutExpired:
                continue


class Redis:
    """A ``redis-server`` of the bench's own on a free port, keeping nothing on disk."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://{HOST}:{self.port}/0"
        binary = shutil.which("redis-server") or "redis-server"
        command = [binary, "--port", str(self.port), "--bind", HOST, "--save", ""]
        self.process = subprocess.Popen(
            [*command, "--appendonly", "no"], stdout=subprocess.DEVNULL, start_new_session=True
        )

    def flush(self) -> None:
        """Drop every key, so that a run does not find the history of the one before (waits
        up to 10 s for a Redis just started to listen)."""
        deadline = time.monotonic() + 10
        while True:
            try:
                sock = socket.create_connection((HOST, self.port), timeout=5)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        with sock:
            sock.sendall(b"*1\r\n$8\r\nFLUSHALL\r\n")
            if not sock.recv(64).startswith(b"+OK"):
                raise RuntimeError("the bench's Redis did not flush")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def run_loadgen(
    scenario: Scenario,
    running: Running,
    cpus: tuple[int | None, int | None],
    time_limit: float,
    profile: Path | None,
) -> dict[str, Any]:
    command = [
        sys.executable,
        str(HERE / "loadgen.py"),
        *("--host", HOST, "--port", str(running.port)),
        *("--server-pid", str(running.process.pid), "--time-limit", str(time_limit)),
        *scenario.flags(),
    ]
    if profile is not None:
        command += ["--profile", str(profile)]
    server_cpu, load_cpu = cpus
    if server_cpu is not None and load_cpu is not None:
        command += ["--cpu", str(load_cpu), "--server-cpu", str(server_cpu)]
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
    try:
        out, _ = process.communicate(timeout=time_limit + 20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    if process.returncode != 0:
        raise RuntimeError(f"load generator failed with {process.returncode}")
    result: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return result


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for package in ("sluice-sse", "hypercorn", "quart-trio", "trio", "sse-starlette", "uvicorn",
                    "uvloop", "httptools", "starlette"):  # fmt: skip
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": versions,
    }


def cores() -> tuple[int | None, int | None]:
    """(server core, load generator core), or no pinning with a single core."""
    available = sorted(os.sched_getaffinity(0))
    if len(available) < 2:
        print("bench: fewer than 2 cores: server and load generator are not pinned", flush=True)
        return None, None
    return available[0], available[1]


def _runs_above(results: list[dict[str, Any]], figure: str, limit: float) -> list[str]:
    """``"<scenario> on <server>"`` for every run whose ``figure`` exceeds ``limit``."""
    return [
        f"{e['scenario']['name']} on {name}"
        for e in results
        for name, summary in e["servers"].items()
        if (summary.get(figure) or 0) > limit
    ]


def measure(
    args: argparse.Namespace,
    plan: list[Scenario],
    chosen: list[Server],
    repeat: int,
    redis: Redis | None,
) -> tuple[dict[tuple[str, str], list[dict[str, Any]]], list[str]]:
    """Every scenario on every server that runs it, ``repeat`` times (a scaling scenario at
    least ``SCALING_RUNS`` times): the load generator's results by (scenario, server), and a
    line per failed run."""
    runs: dict[tuple[str, str], list[dict[str, Any]]] = {}
    failures: list[str] = []
    rounds = {s.name: max(repeat, SCALING_RUNS) if s.scaling else repeat for s in plan}
    for round_number in range(max(rounds.values())):
        order = chosen if round_number % 2 == 0 else chosen[::-1]
        for scenario in (s for s in plan if round_number < rounds[s.name]):
            for server in (s for s in order if s.runs(scenario)):
                label = f"[{round_number + 1}/{rounds[scenario.name]}] {scenario.name} on"
                label += f" {server.name}"
                print(f"bench: {label}", flush=True)
                cpus = (None, None) if scenario.scaling else args.cpus
                log = args.logs / f"{server.name}-{scenario.name}.log"
                if redis is not None and server.scaling:
                    redis.flush()  # each run starts from no history, as on the memory backplane
                running = Running(server, cpus[0], log, redis.url if redis else "")
                try:
                    running.wait_ready(30)
                    limit = 60 + scenario.duration + scenario.subscribers / 200
                    profile = None
                    if args.profile:
                        name = f"{server.name}-{scenario.name}-{round_number + 1}.svg"
                        profile = args.profiles / name
                    result = run_loadgen(scenario, running, cpus, limit, profile)
                except (RuntimeError, ValueError, subprocess.TimeoutExpired) as error:
                    failures.append(f"{label}: {error}")
                    print(f"bench: {label} FAILED: {error}", flush=True)
                    continue
                finally:
                    running.stop()
                runs.setdefault((scenario.name, server.name), []).append(result)
    return runs, failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short scenarios, 2,000 idle, 1 run")
    parser.add_argument("--repeat", type=int, default=1, help="runs per scenario (medians)")
    parser.add_argument(
        "--servers",
        default="reference,better-sse,nchan,sluice,sluice-workers",
        help="comma-separated",
    )
    parser.add_argument("--scenarios", default="", help="names or kinds, comma-separated")
    parser.add_argument("--duration", type=float, default=None, help="seconds of publishing")
    parser.add_argument("--batch", type=int, default=10, help="events per publish request")
    parser.add_argument("--rate", type=float, default=5.0, help="events/s of the paced scenario")
    parser.add_argument("--idle-connections", type=int, default=None)
    parser.add_argument("--storm-clients", type=int, default=None)
    parser.add_argument("--output", type=Path, default=HERE / "results")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="py-spy each server over each measured window (flame graphs in results/profiles)",
    )
    args = parser.parse_args()
    repeat = args.repeat

    # Ctrl-C and SIGTERM unwind through the ``finally`` blocks that stop the servers (SIGINT
    # even when started as a background job, which would inherit it ignored).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    plan = scenarios(args)
    chosen = servers(args)
    names = [s.name for s in chosen]
    if hard < max(s.subscribers for s in plan) + 1000:
        print(f"bench: RLIMIT_NOFILE hard limit {hard} may be too low", flush=True)
    args.output.mkdir(parents=True, exist_ok=True)
    logs = args.output / "logs"
    logs.mkdir(exist_ok=True)
    profiles = args.output / "profiles"
    if args.profile:
        profiles.mkdir(exist_ok=True)
    args.logs, args.profiles, args.cpus = logs, profiles, cores()

    started = time.monotonic()
    redis = Redis() if any(s.scaling for s in chosen) else None
    try:
        runs, failures = measure(args, plan, chosen, repeat, redis)
    finally:
        if redis is not None:
            redis.stop()

    results = []
    for scenario in plan:
        entry: dict[str, Any] = {"scenario": asdict(scenario), "servers": {}}
        for name in names:
            if (scenario.name, name) in runs:
                entry["servers"][name] = summarise(runs[scenario.name, name])
        entry["ratios"] = ratios(entry["servers"], scenario.scaling)
        results.append(entry)

    elapsed = time.monotonic() - started
    report = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": round(elapsed, 1),
        "repeat": repeat,
        "machine": machine(),
        "pinning": {"server_cpu": args.cpus[0], "loadgen_cpu": args.cpus[1]},
        "failures": failures,
        "results": results,
    }
    (args.output / "latest.json").write_text(json.dumps(report, indent=2) + "\n")
    chart(results, args.output / "latest.png")
    (args.output / "latest.md").write_text(markdown(results))

    print()
    info = report["machine"]
    print(
        f"{info['cpu']}, {info['cores']} cores, Python {info['python']}; server on core "
        f"{args.cpus[0]}, load generator on core {args.cpus[1]}; median of {repeat} run(s)"
        f" ({max(repeat, SCALING_RUNS)} for the unpinned scaling scenario)"
    )
    for scenario in plan:
        print(f"  {scenario.name}: {scenario.title}")
    print(table(results))
    print()
    print(
        "ratios: sluice/each reference, sluice-workers/sluice (+ better, - worse); reference ="
        " sse-starlette; lost = missing / doubled events / cut streams"
    )
    goals = targets(results)
    if goals:
        print("targets of issue 15:")
        print("\n".join(goals))
    saturated = _runs_above(results, "loadgen_cpu_pct", 90)
    if saturated:
        print("note: the load generator used >90% of its core in: " + ", ".join(saturated))
    busy = _runs_above(results, "server_core_other_pct", 20)
    if busy:
        print(
            "note: other processes used >20% of the server's core in: " + ", ".join(busy) + "; "
            "throughput and latency there are understated, CPU per delivery is still comparable"
        )
    print(f"wrote latest.json, latest.png and latest.md in {args.output} in {elapsed:.0f}s")
    for failure in failures:
        print(f"FAILED {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("bench: interrupted; servers stopped", file=sys.stderr)
        sys.exit(130)
