"""The TypeScript declarations compile with a usage sample, and a wrong field name does not."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from node_tools import ROOT, node_command

from protocol import builtin, bundle, event_types
from server.typescript import DECLARATIONS, JSON2TS, generate_declarations

USAGE = """\
import type { PublishRequest, SluiceEvent, SluiceEventMap } from "./sluice-events";

export function describe(event: SluiceEvent): string {
  switch (event.type) {
    case "regeneration_progress":
      return `${event.data.messageId} ${event.data.progress}% ${event.data.partialContent ?? ""}`;
    case "message_deleted":
      return event.data.deletedMessageIds.join(",");
    case "stream_reset":
      return `${event.data.reason} after ${event.data.lastEventId ?? "(none)"}`;
    default:
      return `${event.type} ${event.id} at ${event.timestamp}`;
  }
}

export function parse<K extends keyof SluiceEventMap>(name: K, data: string): SluiceEventMap[K] {
  return JSON.parse(data) as SluiceEventMap[K];
}

export const batch: PublishRequest = [
  { type: "message", data: { content: "hi", role: "assistant" } },
  { type: "status_update", data: { status: "running", progress: 40 }, ttl: 60 },
];
"""

WRONG_FIELD = """\
import type { SluiceEvent } from "./sluice-events";

export function content(event: SluiceEvent): string {
  if (event.type === "message_regenerated") {
    return event.data.contnet;
  }
  return "";
}
"""


@pytest.fixture(scope="module")
def declarations(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ts") / DECLARATIONS
    path.write_bytes(generate_declarations(builtin()))
    return path


def _tsc(sample: Path, declarations: Path) -> subprocess.CompletedProcess[str]:
    command = [*node_command("tsc"), "--noEmit", "--strict", str(sample), str(declarations)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def test_declarations_compile_with_a_usage_sample(declarations: Path) -> None:
    sample = declarations.parent / "usage.ts"
    sample.write_text(USAGE)
    result = _tsc(sample, declarations)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_wrong_field_name_fails_to_compile(declarations: Path) -> None:
    sample = declarations.parent / "wrong.ts"
    sample.write_text(WRONG_FIELD)
    result = _tsc(sample, declarations)
    assert result.returncode != 0
    assert "contnet" in result.stdout
    assert "MessageRegeneratedData" in result.stdout


def test_every_event_type_has_data_envelope_and_union_member(declarations: Path) -> None:
    assert declarations.name == DECLARATIONS
    text = declarations.read_text()
    union = text.split("export type SluiceEvent =", 1)[1].split(";", 1)[0]
    for event_type in event_types():
        data, envelope = bundle.data_component(event_type), bundle.envelope_component(event_type)
        assert f"export interface {data} {{" in text
        declaration = text.split(f"export interface {envelope} {{", 1)[1].split("\n}", 1)[0]
        assert f'type: "{event_type}";' in declaration
        assert f"data: {data};" in declaration
        assert f"| {envelope}" in union


def test_the_npm_runner_uses_the_version_pinned_in_package_json() -> None:
    pinned = json.loads((ROOT / "package.json").read_text())["dependencies"]
    name, _, version = JSON2TS.rpartition("@")
    assert pinned[name] == version
