// Runs the compiled TypeScript client against a real server for test_server_ts_client.py.
// argv: the client module's file URL, then the options as JSON ({url, transport, ...}).
// Writes one JSON line per state change and per event; a line "stop" on stdin disconnects.
import { createInterface } from "node:readline";

import { EventSource } from "eventsource";

const [clientModule, optionsJson] = process.argv.slice(2);
const { SluiceStream } = await import(clientModule);
const { url, transport, ...options } = JSON.parse(optionsJson);
if (transport === "eventsource") options.eventSource = EventSource;

const out = (line) => process.stdout.write(JSON.stringify(line) + "\n");
const stream = new SluiceStream(url, options);
stream.onState((state) =>
  out({ state, error: stream.error ?? null, attempt: stream.reconnectAttempt, transport: stream.transport }),
);
stream.onEvent((event) =>
  out({
    type: event.type,
    id: event.id,
    sessionId: event.sessionId ?? null,
    data: event.data,
    resumeFrom: stream.lastEventId ?? null,
  }),
);
stream.connect();

for await (const line of createInterface({ input: process.stdin })) {
  if (line === "stop") break;
}
stream.disconnect();
process.stdin.destroy();
out({ stopped: true });
