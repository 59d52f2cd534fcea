// Runs the compiled TypeScript client against a real server for test_server_ts_client.py.
// argv: the client module's file URL, then the options as JSON ({url, transport, listen?, ...}).
// Writes one JSON line per state change and per event, and one ({heard, id}) per event that a
// listener given to `on` for a type in `listen` receives; a line "listen TYPE" on stdin adds such
// a listener (answering {listening: TYPE}), a line "stop" disconnects.
import { createInterface } from "node:readline";

import { EventSource } from "eventsource";

const [clientModule, optionsJson] = process.argv.slice(2);
const { SluiceStream } = await import(clientModule);
const { url, transport, listen = [], ...options } = JSON.parse(optionsJson);
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
const hear = (type) => stream.on(type, (event) => out({ heard: event.type, id: event.id }));
for (const type of listen) hear(type);
stream.connect();

for await (const line of createInterface({ input: process.stdin })) {
  if (line === "stop") break;
  if (line.startsWith("listen ")) {
    hear(line.slice("listen ".length));
    out({ listening: line.slice("listen ".length) });
  }
}
stream.disconnect();
process.stdin.destroy();
out({ stopped: true });
