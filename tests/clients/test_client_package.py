"""``clients/typescript`` as the npm package frontend teams install: ``npm pack`` gives ESM
JavaScript, declarations of everything exported, the exports map, React as an optional peer,
a README and the Python package's version; a fresh consumer project installs the tarball and
compiles strict samples against it (``skipLibCheck`` off), and a wrong event field does not."""

from __future__ import annotations

import json
import subprocess
import tarfile
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from node_tools import CLIENT, ROOT, tsc

TSCONFIG = {
    "compilerOptions": {
        "target": "ES2022",
        "module": "nodenext",
        "moduleResolution": "nodenext",
        "lib": ["ES2022", "DOM"],
        "types": [],
        "strict": True,
        "exactOptionalPropertyTypes": True,
        "noEmit": True,
        "skipLibCheck": False,
    },
}

CLIENT_SAMPLE = """\
import { EVENT_TYPES, SluiceStream } from "sluice-client/client";
import type {
  SluiceEvent, SluiceEventMap, StreamStatus, PublishRequest,
} from "sluice-client/client";

const stream = new SluiceStream(() => `/sse/demo?access_token=${Date.now()}`, {
  pollUrl: "/api/sessions/demo/events",
});
stream.on("regeneration_progress", (e) => console.log(e.data.progress, e.data.partialContent));
stream.on("stream_reset", (e) => console.log(e.data.reason, e.data.lastEventId ?? "(none)"));
stream.onChange((status: StreamStatus) => console.log(status.state, status.reconnectAttempt));
stream.onEvent((event: SluiceEvent) => {
  if (event.type === "message_deleted") console.log(event.data.deletedMessageIds.join(","));
});
export const first: keyof SluiceEventMap = EVENT_TYPES[0];
export const batch: PublishRequest = [
  { type: "status_update", data: { status: "running", progress: 40 } },
];
stream.connect();
"""

HOOK_SAMPLE = """\
import { useEffect, useState } from "react";
import { useSSE } from "sluice-client";
import type { UseSSEResult } from "sluice-client";

export function useProgress(sessionId: string, currentToken: () => string): [number, UseSSEResult] {
  const [progress, setProgress] = useState(0);
  const sse = useSSE(() => `/agent_network_sse/${sessionId}?access_token=${currentToken()}`, {
    autoReconnect: true,
    maxReconnectAttempts: 5,
    reconnectDelay: 1000,
    maxReconnectDelay: 30000,
  });
  const { addEventListener } = sse;
  useEffect(
    () => addEventListener("regeneration_progress", (e) => setProgress(e.data.progress)),
    [addEventListener],
  );
  return [progress, sse];
}
"""

WRONG_FIELD = """\
import { SluiceStream } from "sluice-client/client";

new SluiceStream("/sse/demo").on("message_regenerated", (e) => console.log(e.data.contnet));
"""


@pytest.fixture(scope="module")
def tarball(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The tarball ``npm pack`` makes of ``clients/typescript``."""
    out = tmp_path_factory.mktemp("pack")
    result = subprocess.run(
        ["npm", "pack", "--json", "--pack-destination", str(out)],
        cwd=CLIENT,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (packed,) = json.loads(result.stdout[result.stdout.index("[") :])
    yield out / packed["filename"]


def test_the_tarball_is_a_package_of_esm_and_declarations(tarball: Path) -> None:
    with tarfile.open(tarball) as archive:
        names = set(archive.getnames())
        manifest = json.load(archive.extractfile("package/package.json"))  # type: ignore[arg-type]
        index = archive.extractfile("package/dist/index.d.ts").read().decode()  # type: ignore[union-attr]
        client = archive.extractfile("package/dist/client.d.ts").read().decode()  # type: ignore[union-attr]
    for module in ("index", "client", "useSSE"):
        assert f"package/dist/{module}.js" in names
        assert f"package/dist/{module}.d.ts" in names
    assert "package/dist/sluice-events.d.ts" in names  # what client.d.ts imports
    assert 'from "./sluice-events.js"' in client
    assert 'export * from "./client.js"' in index
    assert "package/README.md" in names
    assert "package/LICENSE" in names  # MIT asks for its text beside the code
    assert not [name for name in names if "/src/" in name or "/test/" in name]
    python = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert manifest["version"] == python
    assert manifest["type"] == "module"
    assert "private" not in manifest
    assert manifest["exports"]["."] == {"types": "./dist/index.d.ts", "default": "./dist/index.js"}
    assert manifest["exports"]["./client"] == {
        "types": "./dist/client.d.ts",
        "default": "./dist/client.js",
    }
    assert manifest["peerDependenciesMeta"]["react"] == {"optional": True}
    assert "dependencies" not in manifest
    # Node runs it with an EventSource given (the eventsource package): its polling needs the
    # global fetch, and closing a poll AbortController, both from Node 18.
    assert manifest["engines"] == {"node": ">=18"}


def _consumer(tmp_path: Path, tarball: Path) -> Path:
    project = tmp_path / "consumer"
    project.mkdir()
    (project / "package.json").write_text('{"name": "consumer", "private": true, "type": "module"}')
    (project / "tsconfig.json").write_text(json.dumps(TSCONFIG))
    command = ["npm", "install", "--offline", "--no-audit", "--no-fund", str(tarball)]
    result = subprocess.run(
        command, cwd=project, capture_output=True, text=True, check=False, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert not (project / "node_modules" / "react").exists()  # an optional peer
    return project


def _compile(project: Path, source: str) -> subprocess.CompletedProcess[str]:
    (project / "sample.ts").write_text(source)
    return tsc("-p", str(project), cwd=project)


def test_a_consumer_compiles_the_client_without_react(tmp_path: Path, tarball: Path) -> None:
    project = _consumer(tmp_path, tarball)
    result = _compile(project, CLIENT_SAMPLE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_consumer_with_react_compiles_the_hook(tmp_path: Path, tarball: Path) -> None:
    project = _consumer(tmp_path, tarball)
    (project / "node_modules" / "react").symlink_to(ROOT / "node_modules" / "react")
    (project / "node_modules" / "@types").mkdir()
    (project / "node_modules" / "@types" / "react").symlink_to(
        ROOT / "node_modules" / "@types" / "react"
    )
    result = _compile(project, HOOK_SAMPLE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_wrong_event_field_does_not_compile(tmp_path: Path, tarball: Path) -> None:
    project = _consumer(tmp_path, tarball)
    result = _compile(project, WRONG_FIELD)
    assert result.returncode != 0
    assert "Property 'contnet' does not exist on type 'MessageRegeneratedData'" in result.stdout
