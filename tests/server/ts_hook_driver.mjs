// Renders a component using the compiled useSSE hook (react-test-renderer, no DOM) against a
// real server, for test_server_ts_client.py. argv: the hook module's file URL, the stream URL.
// Writes a JSON line whenever the hook's state changes; "stop" on stdin unmounts.
import { createInterface } from "node:readline";

import { EventSource } from "eventsource";
import React from "react";
import TestRenderer from "react-test-renderer";

globalThis.IS_REACT_ACT_ENVIRONMENT = false;
const [hookModule, url] = process.argv.slice(2);
const { useSSE } = await import(hookModule);
const out = (line) => process.stdout.write(JSON.stringify(line) + "\n");

function Watcher() {
  const sse = useSSE(url, { eventSource: EventSource, maxEvents: 2, reconnectDelay: 20 });
  React.useEffect(() => {
    out({ state: sse.connectionState, events: sse.events.map((e) => e.type), last: sse.lastEvent?.type ?? null });
  }, [sse.connectionState, sse.events, sse.lastEvent]);
  React.useEffect(() => sse.addEventListener("message", (e) => out({ listened: e.data.content })), [sse.addEventListener]);
  return null;
}

const root = TestRenderer.create(React.createElement(Watcher));
for await (const line of createInterface({ input: process.stdin })) {
  if (line === "stop") break;
}
root.unmount();
process.stdin.destroy();
out({ stopped: true });  // after the unmount
