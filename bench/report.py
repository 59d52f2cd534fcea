"""The benchmark's results as figures: medians, ratios, the table, the targets and the chart.

A result entry is ``{"scenario": {...}, "servers": {name: summary}, "ratios": {label: {figure:
ratio}}}``; each ratio is the subject's figure over the base's (``sluice/better-sse``), so one
run's noise hits both sides.
"""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

FIGURES = [
    # key, label, better ("high", "low", "" for no judgement, None for no ratio), format
    ("events_per_s", "delivered events/s", "high", "{:,.0f}"),
    ("publishes_per_s", "publish requests/s", "high", "{:,.0f}"),
    ("latency_p50_ms", "latency p50 (ms)", "low", "{:,.1f}"),
    ("latency_p99_ms", "latency p99 (ms)", "low", "{:,.1f}"),
    ("server_cpu_pct", "server CPU (% of a core)", "", "{:,.0f}"),
    ("server_cpu_us_per_event", "server CPU per delivery (us)", "low", "{:,.2f}"),
    ("rss_per_connection_kb", "server RSS per connection (KB)", "low", "{:,.1f}"),
    ("open_seconds", "time to open all streams (s)", "low", "{:,.2f}"),
    ("resume_seconds", "time until all resumed (s)", "low", "{:,.2f}"),
    ("lost", "lost / doubled events / cut streams", None, "{}"),
    ("server_core_other_pct", "other processes on the server's core (%)", None, "{:,.0f}"),
    ("loadgen_cpu_pct", "load generator CPU (% of a core)", None, "{:,.0f}"),
]
SUBJECT = "sluice"
COLOURS = {
    "reference": "#8c8c8c",
    "better-sse": "#2ca02c",
    "nchan": "#d62728",
    "sluice": "#1f77b4",
    "sluice-workers": "#9467bd",
}


def lost(result: dict[str, Any]) -> str:
    losses = result["losses"]
    cut = (
        losses["overflowed_streams"]
        + losses["ended_streams"]
        + losses["failed_opens"]
        + losses["stream_errors"]
    )
    return f"{losses['missing_events']}/{losses.get('duplicated_events', 0)}/{cut}"


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


def ratio(subject: Any, base: Any) -> float | None:
    if not isinstance(subject, int | float) or not isinstance(base, int | float):
        return None
    return subject / base if base else None


def ratios(servers: dict[str, dict[str, Any]], scaling: bool) -> dict[str, dict[str, Any]]:
    """``{"sluice/<reference>": {figure: ratio}}`` for each reference in ``servers``; for a
    scaling scenario ``{"sluice-workers/sluice": ...}``."""
    pairs = (
        [("sluice-workers", SUBJECT)]
        if scaling
        else [(SUBJECT, name) for name in servers if name != SUBJECT]
    )
    return {
        f"{subject}/{base}": {
            key: ratio(servers[subject].get(key), servers[base].get(key)) for key, *_ in FIGURES
        }
        for subject, base in pairs
        if subject in servers and base in servers
    }


def table(results: list[dict[str, Any]]) -> str:
    """The figures of ``results`` (servers as columns, then each ratio), one row per figure."""
    names = list(dict.fromkeys(n for e in results for n in e["servers"]))
    labels = list(dict.fromkeys(label for e in results for label in e["ratios"]))
    header = ["scenario", "figure", *names, *labels]
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
            for pair in labels:
                r = entry["ratios"].get(pair, {}).get(key) if better is not None else None
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


# The targets of issue 15: (scenario name, or its first word, server, figure, base server or
# None for an absolute bound, sign, bound, wording).
TARGETS = [
    ("burst-1000", SUBJECT, "events_per_s", "better-sse", ">=", 1.5,
     "events/s, 1,000 subscribers >= 1.5x better-sse"),
    ("burst-1000", SUBJECT, "events_per_s", "nchan", ">=", 0.5,
     "events/s, 1,000 subscribers >= 0.5x nchan"),
    ("burst-100", SUBJECT, "events_per_s", "better-sse", ">=", 1.5,
     "events/s, 100 subscribers >= 1.5x better-sse"),
    ("burst-1000", SUBJECT, "server_cpu_us_per_event", None, "<=", 8.0,
     "CPU per delivery, 1,000 subscribers <= 8 us"),
    ("publish-20", SUBJECT, "publishes_per_s", None, ">=", 7110.0,
     "single-event publishes/s, 20 keep-alive publishers >= 10x 711/s"),
    ("connect-1000", SUBJECT, "open_seconds", None, "<=", 0.5,
     "1,000 subscribers connected in <= 0.5 s"),
    ("storm", SUBJECT, "resume_seconds", None, "<=", 5.0,
     "reconnect storm resumed in <= 5 s"),
    ("idle", SUBJECT, "rss_per_connection_kb", None, "<=", 8.0,
     "RSS per idle connection <= 8 KB"),
    ("workers", "sluice-workers", "server_cpu_us_per_event", SUBJECT, "<=", 1.2,
     "--workers 2 on Redis: CPU per delivery <= 1.2x one worker on memory"),
]  # fmt: skip


def run_ratios(entry: dict[str, Any], subject: str, base: str, key: str) -> list[float]:
    """The ratio of ``key`` in each run of ``entry``, pairing the subject's n-th run with the
    base's (the two ran in the same round)."""
    pairs = zip(entry["servers"][subject]["runs"], entry["servers"][base]["runs"], strict=False)
    found = (ratio(s.get(key), b.get(key)) for s, b in pairs)
    return [r for r in found if r is not None]


def targets(results: list[dict[str, Any]]) -> list[str]:
    """One line per target of the issue that this run measured: met or missed, with the
    figure (missed whenever Sluice lost, doubled or cut anything there); for the storm and the
    workers, the losses and the throughput ratio beside it."""
    lines = []
    for wanted, server, key, base, sign, bound, wording in TARGETS:
        for entry in results:
            name = entry["scenario"]["name"]
            if wanted not in (name, name.split("-")[0]):
                continue
            summary = entry["servers"].get(server)
            if summary is None:
                continue
            if base is None:
                value = summary.get(key)
            else:
                value = entry["ratios"].get(f"{server}/{base}", {}).get(key)
            if value is None:
                continue
            met = value >= bound if sign == ">=" else value <= bound
            shown = f"{value:,.2f}x" if base else f"{value:,.2f}"
            extra = ""
            clean = not any(summary["losses"].values())  # a figure bought with a loss is no figure
            met = met and clean
            if entry["scenario"]["kind"] in ("storm", "idle") or not clean:
                extra = f"; lost/doubled/cut {summary['lost']}"
            if wanted == "workers":
                assert base is not None
                spread = run_ratios(entry, server, base, key)
                if len(spread) > 1:
                    extra = f" (runs {min(spread):.2f}x-{max(spread):.2f}x){extra}"
                throughput = entry["ratios"].get(f"{server}/{base}", {}).get("events_per_s")
                if throughput is not None:
                    extra += f"; events/s {throughput:.2f}x"
            lines.append(f"  {'met   ' if met else 'MISSED'} {wording}: {shown}{extra}")
    return lines


def chart(results: list[dict[str, Any]], path: Path) -> None:
    """Six panels, servers side by side; Sluice's bars are labelled with its ratio to
    better-sse (to sse-starlette when better-sse did not run)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = {n for e in results for n in e["servers"]} - {"sluice-workers"}
    names = [n for n in COLOURS if n in shown]
    base = "better-sse" if "better-sse" in names else "reference"
    figure, axes = plt.subplots(2, 3, figsize=(18, 10))
    width = 0.8 / max(len(names), 1)
    panels = [
        ("events_per_s", "delivered events/s, burst (higher is better)", "burst", False),
        ("server_cpu_us_per_event", "server CPU per delivery, us (lower is better)", "burst",
         False),
        ("latency_p99_ms", "latency p99, ms (lower is better)", "", True),
        ("publishes_per_s", "publish requests/s (higher is better)", "publish", False),
        ("rss_per_connection_kb", "server RSS per open stream, KB (lower is better)", "idle",
         False),
        ("open_seconds", "seconds to connect (connect-1000) / resume (storm)", "open", True),
    ]  # fmt: skip
    for axis, (key, title, only, log) in zip(axes.flat, panels, strict=True):
        entries = [e for e in results if not e["scenario"]["scaling"] and _shown(e, only)]
        drawn_any = False
        for offset, name in enumerate(names):
            values = [_value(e, name, key) or 0 for e in entries]
            drawn_any = drawn_any or any(v > 0 for v in values)
            positions = [i + (offset - (len(names) - 1) / 2) * width for i in range(len(entries))]
            drawn = axis.bar(positions, values, width, color=COLOURS[name], label=name)
            if name == SUBJECT:
                texts = []
                for e in entries:
                    r = ratio(_value(e, SUBJECT, key), _value(e, base, key))
                    texts.append("" if r is None else f"{r:.2f}x")
                axis.bar_label(drawn, texts, fontsize=8)
        axis.set_xticks(range(len(entries)))
        axis.set_xticklabels([e["scenario"]["name"] for e in entries], rotation=20, ha="right")
        if log and drawn_any:  # a run of some scenarios may leave a panel empty
            axis.set_yscale("log")
        axis.set_title(title)
    axes.flat[0].legend()
    figure.suptitle(
        f"Sluice vs the references: server on one core, load generator on the other; labels:"
        f" Sluice/{base}"
    )
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def _shown(entry: dict[str, Any], only: str) -> bool:
    kind, name = entry["scenario"]["kind"], entry["scenario"]["name"]
    if only == "open":
        return name.startswith("connect") or kind == "storm"
    if only == "publish":
        return name.startswith("publish")
    if only == "burst":
        return kind == "burst" and not name.startswith("publish")
    return not only or kind == only


def _value(entry: dict[str, Any], name: str, key: str) -> Any:
    summary = entry["servers"].get(name, {})
    if key == "open_seconds" and entry["scenario"]["kind"] == "storm":
        key = "resume_seconds"
    return summary.get(key)


# The README's table: (figure, label) per scenario kind or name, in this order.
MARKDOWN_FIGURES = {
    "burst": [("events_per_s", "delivered events/s"),
              ("server_cpu_us_per_event", "server CPU per delivery (µs)"),
              ("latency_p99_ms", "latency p99 (ms)")],
    "publish": [("publishes_per_s", "publish requests/s"),
                ("server_cpu_us_per_event", "server CPU per publish (µs)")],
    "paced": [("latency_p99_ms", "latency p99 (ms)"),
              ("server_cpu_us_per_event", "server CPU per delivery (µs)")],
    "connect": [("open_seconds", "seconds until all connected")],
    "idle": [("rss_per_connection_kb", "server RSS per connection (KB)")],
    "storm": [("resume_seconds", "seconds until all resumed")],
}  # fmt: skip


def markdown(results: list[dict[str, Any]]) -> str:
    """The figures as a Markdown table for the README: every server, Sluice's ratios, and the
    losses of every scenario in one last row."""
    names = [
        n for n in COLOURS if any(n in e["servers"] for e in results) and n != "sluice-workers"
    ]
    bases = [n for n in names if n != SUBJECT]
    header = ["scenario", "figure", *names, *(f"Sluice/{b}" for b in bases)]
    rows = [header, ["---"] * len(header)]
    for entry in results:
        if entry["scenario"]["scaling"]:
            continue
        name, kind = entry["scenario"]["name"], entry["scenario"]["kind"]
        group = name.split("-")[0] if name.split("-")[0] in ("publish", "connect") else kind
        for index, (key, label) in enumerate(MARKDOWN_FIGURES[group]):
            cells = [_cell(entry["servers"].get(n, {}).get(key)) for n in names]
            ratio_cells = [
                _ratio_cell(entry["ratios"].get(f"{SUBJECT}/{b}", {}).get(key)) for b in bases
            ]
            rows.append([name if index == 0 else "", label, *cells, *ratio_cells])
    missing = {
        n: sum(e["servers"][n]["losses"]["missing_events"] for e in results if n in e["servers"])
        for n in names
    }
    losses = [f"{n}: {count}" for n, count in missing.items()]
    lines = ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n\nLost events over every scenario: " + ", ".join(losses) + "\n"


def _cell(value: Any) -> str:
    if not isinstance(value, int | float):
        return "-"
    return f"{value:,.0f}" if value >= 100 else f"{value:,.2f}" if value < 10 else f"{value:,.1f}"


def _ratio_cell(value: Any) -> str:
    return "" if value is None else f"{value:.2f}x"
