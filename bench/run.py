"""Sluice against sse-starlette on uvicorn, side by side, in one run (``nox -s bench``).

For every scenario and every server in turn, a fresh server process is started pinned to one
core, the load generator (``loadgen.py``) runs pinned to the other core, and the server is
stopped. Figures are medians over ``--repeat`` runs (servers alternate, so drift on a shared
machine hits both). The table, with the ratio Sluice/reference of each figure, is printed;
``bench/results/latest.json`` and ``latest.png`` hold the same results.

Everything listens and connects on 127.0.0.1 only. Every child process is stopped on every
way out (normal end, error, Ctrl-C, SIGTERM).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
HOST = "127.0.0.1"


@dataclass(frozen=True)
class Scenario:
    """One load shape; fields map onto ``loadgen.py`` flags."""

    name: str
    title: str
    kind: str
    subscribers: int
    sessions: int = 1
    duration: float = 5.0
    batch: int = 10
    publishers: int = 1
    rate: float = 10.0

    def flags(self) -> list[str]:
        return [
            *("--name", self.name, "--kind", self.kind),
            *("--subscribers", str(self.subscribers), "--sessions", str(self.sessions)),
            *("--duration", str(self.duration), "--batch", str(self.batch)),
            *("--publishers", str(self.publishers), "--rate", str(self.rate)),
        ]


def scenarios(args: argparse.Namespace) -> list[Scenario]:
    """The scenarios of this run, scaled down by ``--quick``."""
    quick = args.quick
    duration = args.duration or (2.0 if quick else 4.0)
    idle = args.idle_connections or (2_000 if quick else 10_000)
    batch = args.batch
    all_scenarios = [
        Scenario("burst-100", f"100 subscribers, 1 session, burst of {batch}-event requests",
                 "burst", 100, duration=duration, batch=batch),
        Scenario("burst-1000", f"1,000 subscribers, 1 session, burst of {batch}-event requests",
                 "burst", 1000, duration=duration, batch=batch),
        Scenario("single-1000", "1,000 subscribers, 1 session, burst of 1-event requests from"
                 " 4 concurrent publishers", "burst", 1000, duration=duration, batch=1,
                 publishers=4),
        Scenario("paced-1000", f"1,000 subscribers, 1 session, {args.rate:g} events/s, one per"
                 " request", "paced", 1000, duration=duration + 1, rate=args.rate),
        Scenario("sessions-100x10", f"100 sessions x 10 subscribers, burst of {batch}-event"
                 " requests from 4 publishers", "burst", 1000, sessions=100, duration=duration,
                 batch=batch, publishers=4),
        Scenario(f"idle-{idle}", f"{idle:,} idle streams over 100 sessions (then 1 event per"
                 " session)", "idle", idle, sessions=100, duration=2.0),
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
    """How to start one server on a port."""

    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)

    def command(self, port: int) -> list[str]:
        return [part.replace("{port}", str(port)) for part in self.argv]


def servers(args: argparse.Namespace) -> list[Server]:
    sluice = Path(sys.executable).with_name("sluice")
    known = {
        "reference": Server(
            "reference", [sys.executable, str(HERE / "reference_app.py"), "--port", "{port}"]
        ),
        "sluice": Server(
            "sluice",
            [str(sluice), "serve", "--host", HOST, "--port", "{port}", "--no-auth"],
            # Environment, not flags: a setting the server does not know is then harmless.
            {"SLUICE_LOG_LEVEL": "warning", "SLUICE_MAX_CONNECTIONS_PER_USER": "1000000"},
        ),
    }
    names = args.servers.split(",")
    unknown = set(names) - set(known)
    if unknown:
        sys.exit(f"unknown server(s) {sorted(unknown)}; known: {sorted(known)}")
    return [known[n] for n in names]


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

    def __init__(self, server: Server, cpu: int | None, log: Path) -> None:
        self.port = free_port()
        self.log = log
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                server.command(self.port),
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


# -- figures ----------------------------------------------------------------------------------

FIGURES = [
    # key, label, better ("high", "low", "" for no judgement, None for no ratio), format
    ("events_per_s", "delivered events/s", "high", "{:,.0f}"),
    ("latency_p50_ms", "latency p50 (ms)", "low", "{:,.1f}"),
    ("latency_p99_ms", "latency p99 (ms)", "low", "{:,.1f}"),
    ("server_cpu_pct", "server CPU (% of a core)", "", "{:,.0f}"),
    ("server_cpu_us_per_event", "server CPU per delivery (us)", "low", "{:,.1f}"),
    ("rss_per_connection_kb", "server RSS per connection (KB)", "low", "{:,.1f}"),
    ("open_seconds", "time to open all streams (s)", "low", "{:,.2f}"),
    ("lost", "lost events / cut streams", None, "{}"),
    ("server_core_other_pct", "other processes on the server's core (%)", None, "{:,.0f}"),
    ("loadgen_cpu_pct", "load generator CPU (% of a core)", None, "{:,.0f}"),
]


def lost(result: dict[str, Any]) -> str:
    losses = result["losses"]
    cut = (
        losses["overflowed_streams"]
        + losses["ended_streams"]
        + losses["failed_opens"]
        + losses["stream_errors"]
    )
    return f"{losses['missing_events']}/{cut}"


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians of the numeric figures of ``runs``; losses added up over the runs."""
    summary: dict[str, Any] = {}
    for key, *_ in FIGURES:
        values = [r.get(key) for r in runs]
        numbers = [v for v in values if isinstance(v, int | float)]
        summary[key] = statistics.median(numbers) if numbers else None
    losses: dict[str, int] = {}
    for run in runs:
        for name, count in run["losses"].items():
            losses[name] = losses.get(name, 0) + count
    summary["losses"] = losses
    summary["lost"] = lost(summary)
    summary["subscribers"] = min(r["subscribers"] for r in runs)
    summary["runs"] = runs
    return summary


def ratio(sluice: Any, reference: Any) -> float | None:
    if not isinstance(sluice, int | float) or not isinstance(reference, int | float):
        return None
    return sluice / reference if reference else None


def table(results: list[dict[str, Any]], names: list[str]) -> str:
    both = {"reference", "sluice"} <= set(names)
    header = ["scenario", "figure", *names] + (["sluice/ref"] if both else [])
    rows = [header]
    for entry in results:
        first = True
        for key, label, better, fmt in FIGURES:
            cells = []
            for name in names:
                value = entry["servers"].get(name, {}).get(key)
                cells.append("-" if value is None else fmt.format(value))
            if all(c == "-" for c in cells):
                continue
            row = [entry["scenario"]["name"] if first else "", label, *cells]
            if both:
                r = entry["ratios"].get(key) if better is not None else None
                mark = ""
                if r is not None and better:
                    mark = " +" if (r > 1) == (better == "high") and r != 1 else " -"
                row.append("" if r is None else f"{r:.2f}x{mark}")
            rows.append(row)
            first = False
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = []
    for index, row in enumerate(rows):
        cells = [
            row[i].ljust(widths[i]) if i < 2 else row[i].rjust(widths[i]) for i in range(len(row))
        ]
        lines.append("  ".join(cells).rstrip())
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def chart(results: list[dict[str, Any]], names: list[str], path: Path) -> None:
    """Throughput (burst scenarios), latency and memory per scenario, servers side by side."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colours = {"reference": "#8c8c8c", "sluice": "#1f77b4"}
    width = 0.8 / len(names)
    figure, (throughput, latency, memory) = plt.subplots(1, 3, figsize=(17, 5.4))

    def bars(
        axis: Any, key: str, entries: list[dict[str, Any]], ratios: bool = True, **style: Any
    ) -> None:
        for offset, name in enumerate(names):
            values = [e["servers"].get(name, {}).get(key) or 0 for e in entries]
            positions = [i + (offset - (len(names) - 1) / 2) * width for i in range(len(entries))]
            drawn = axis.bar(positions, values, width, color=colours.get(name), label=name, **style)
            if name == "sluice" and ratios:
                ratios = [e["ratios"].get(key) for e in entries]
                texts = ["" if r is None else f"{r:.2f}x" for r in ratios]
                axis.bar_label(drawn, texts, fontsize=8)

    def labels(axis: Any, entries: list[dict[str, Any]]) -> None:
        axis.set_xticks(range(len(entries)))
        axis.set_xticklabels([e["scenario"]["name"] for e in entries], rotation=20, ha="right")

    bursts = [e for e in results if e["scenario"]["kind"] == "burst"]
    bars(throughput, "events_per_s", bursts)
    labels(throughput, bursts)
    throughput.set_title("delivered events/s, burst (higher is better)")
    throughput.legend()

    bars(latency, "latency_p99_ms", results, alpha=0.45, hatch="//")
    bars(latency, "latency_p50_ms", results, ratios=False)
    labels(latency, results)
    latency.set_yscale("log")
    latency.set_title("latency ms: p50 solid, p99 hatched and its ratio (lower is better)")

    bars(memory, "rss_per_connection_kb", results)
    labels(memory, results)
    memory.set_title("server RSS per open stream, KB (lower is better)")

    figure.suptitle(
        "Sluice vs sse-starlette + uvicorn: server on one core, load generator on the other;"
        " labels: Sluice/reference"
    )
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


# Issue 5's targets: (scenario name or kind, figure, Sluice/reference bound, wording).
TARGETS = [
    ("burst-1000", "events_per_s", ">=", 1.5, "events/s, 1,000 subscribers, burst >= 1.5x"),
    ("burst-100", "events_per_s", ">=", 1.2, "events/s, 100 subscribers, burst >= 1.2x"),
    ("paced-1000", "latency_p99_ms", "<=", 1.0, "latency p99, 1,000 subscribers, paced <= 1x"),
    ("idle", "rss_per_connection_kb", "<=", 0.5, "RSS per idle connection <= 0.5x"),
]


def targets(results: list[dict[str, Any]]) -> list[str]:
    """One line per target of the issue: met or missed, with the measured ratio."""
    lines = []
    for wanted, key, sign, bound, wording in TARGETS:
        for entry in results:
            if wanted not in (entry["scenario"]["name"], entry["scenario"]["kind"]):
                continue
            r = entry["ratios"].get(key)
            if r is None:
                continue
            met = r >= bound if sign == ">=" else r <= bound
            lines.append(f"  {'met   ' if met else 'MISSED'} {wording}: {r:.2f}x")
        for entry in results:
            sluice = entry["servers"].get("sluice")
            if wanted == "idle" == entry["scenario"]["kind"] and sluice and key == TARGETS[-1][1]:
                clean = not any(sluice["losses"].values())
                count = entry["scenario"]["subscribers"]
                lines.append(
                    f"  {'met   ' if clean else 'MISSED'} {count:,} idle streams without errors:"
                    f" lost events / cut streams {sluice['lost']}"
                )
    return lines


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short scenarios, 2,000 idle, 1 run")
    parser.add_argument("--repeat", type=int, default=None, help="runs per scenario (default 2)")
    parser.add_argument("--servers", default="reference,sluice", help="comma-separated")
    parser.add_argument("--scenarios", default="", help="names or kinds, comma-separated")
    parser.add_argument("--duration", type=float, default=None, help="seconds of publishing")
    parser.add_argument("--batch", type=int, default=10, help="events per publish request")
    parser.add_argument("--rate", type=float, default=5.0, help="events/s of the paced scenario")
    parser.add_argument("--idle-connections", type=int, default=None)
    parser.add_argument("--output", type=Path, default=HERE / "results")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="py-spy each server over each measured window (flame graphs in results/profiles)",
    )
    args = parser.parse_args()
    repeat = args.repeat or (1 if args.quick else 2)

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
    server_cpu, load_cpu = cores()
    args.output.mkdir(parents=True, exist_ok=True)
    logs = args.output / "logs"
    logs.mkdir(exist_ok=True)
    profiles = args.output / "profiles"
    if args.profile:
        profiles.mkdir(exist_ok=True)

    started = time.monotonic()
    runs: dict[tuple[str, str], list[dict[str, Any]]] = {}
    failures: list[str] = []
    for round_number in range(repeat):
        order = chosen if round_number % 2 == 0 else chosen[::-1]
        for scenario in plan:
            for server in order:
                label = f"[{round_number + 1}/{repeat}] {scenario.name} on {server.name}"
                print(f"bench: {label}", flush=True)
                running = Running(server, server_cpu, logs / f"{server.name}-{scenario.name}.log")
                try:
                    running.wait_ready(30)
                    limit = 60 + scenario.duration + scenario.subscribers / 200
                    profile = None
                    if args.profile:
                        profile = profiles / f"{server.name}-{scenario.name}-{round_number + 1}.svg"
                    cpus = (server_cpu, load_cpu)
                    result = run_loadgen(scenario, running, cpus, limit, profile)
                except (RuntimeError, ValueError, subprocess.TimeoutExpired) as error:
                    failures.append(f"{label}: {error}")
                    print(f"bench: {label} FAILED: {error}", flush=True)
                    continue
                finally:
                    running.stop()
                runs.setdefault((scenario.name, server.name), []).append(result)

    results = []
    for scenario in plan:
        entry: dict[str, Any] = {"scenario": asdict(scenario), "servers": {}, "ratios": {}}
        for name in names:
            if (scenario.name, name) in runs:
                entry["servers"][name] = summarise(runs[scenario.name, name])
        reference, sluice = entry["servers"].get("reference"), entry["servers"].get("sluice")
        if reference and sluice:
            entry["ratios"] = {
                key: ratio(sluice.get(key), reference.get(key)) for key, *_ in FIGURES
            }
        results.append(entry)

    elapsed = time.monotonic() - started
    report = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": round(elapsed, 1),
        "repeat": repeat,
        "machine": machine(),
        "pinning": {"server_cpu": server_cpu, "loadgen_cpu": load_cpu},
        "failures": failures,
        "results": results,
    }
    (args.output / "latest.json").write_text(json.dumps(report, indent=2) + "\n")
    chart(results, names, args.output / "latest.png")

    print()
    info = report["machine"]
    print(
        f"{info['cpu']}, {info['cores']} cores, Python {info['python']}; server on core "
        f"{server_cpu}, load generator on core {load_cpu}; median of {repeat} run(s)"
    )
    for scenario in plan:
        print(f"  {scenario.name}: {scenario.title}")
    print(table(results, names))
    print()
    print("ratios: sluice/reference (+ better, - worse); lost = missing events / cut streams")
    goals = targets(results)
    if goals:
        print("targets of issue 5 (Sluice/reference):")
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
    print(f"wrote {args.output / 'latest.json'} and {args.output / 'latest.png'} in {elapsed:.0f}s")
    for failure in failures:
        print(f"FAILED {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("bench: interrupted; servers stopped", file=sys.stderr)
        sys.exit(130)
