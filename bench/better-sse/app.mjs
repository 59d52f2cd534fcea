// The Node reference hub of the benchmark: better-sse sessions and channels on Node's http server.
//
// It exposes Sluice's two benchmarked endpoints, as bench/reference_app.py does:
// - POST /api/sessions/{id}/events takes one event {"type","data","ttl"?} or a JSON array of them,
//   checks each one's shape (type a string, data an object: not the full schema), gives each an
//   id and a timestamp, encodes the envelope once as JSON, keeps it in a bounded history (500 per
//   session) and broadcasts it on the session's channel; answers 201 {"sessionId","ids"}.
// - GET /sse/{id} sends a retry hint and a `connection` event, the history after Last-Event-ID,
//   then live events (id:, event:, data: the JSON envelope). better-sse has no per-subscriber
//   bound: Node buffers what a slow client does not read.
//
// Run: node bench/better-sse/app.mjs --port 8002 (127.0.0.1 unless --host is given).
import http from "node:http";
import { parseArgs } from "node:util";
import { createChannel, createSession } from "better-sse";

const MAX_HISTORY = 500;
const RETRY_MS = 3000;
const sessions = new Map();

function hubSession(id) {
  let found = sessions.get(id);
  if (found === undefined) {
    found = { channel: createChannel(), history: [], next: 1 };
    sessions.set(id, found);
  }
  return found;
}

const now = () => new Date().toISOString();
const identity = (data) => data;

function answer(res, status, body, type = "application/json") {
  const bytes = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { "Content-Type": type, "Content-Length": bytes.length });
  res.end(bytes);
}

function publish(req, res, sessionId) {
  const chunks = [];
  req.on("data", (chunk) => chunks.push(chunk));
  req.on("end", () => {
    let body;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch {
      answer(res, 400, { title: "body is not JSON", status: 400 }, "application/problem+json");
      return;
    }
    const events = Array.isArray(body) ? body : [body];
    for (const event of events) {
      const shaped = event && typeof event.type === "string" && event.data
        && typeof event.data === "object" && !Array.isArray(event.data);
      if (!shaped) {
        answer(res, 422, { title: "invalid event", status: 422 }, "application/problem+json");
        return;
      }
    }
    const session = hubSession(sessionId);
    const ids = [];
    for (const event of events) {
      const id = String(session.next++);
      const envelope = { type: event.type, data: event.data, id, timestamp: now() };
      if (event.ttl !== undefined) envelope.ttl = event.ttl;
      const frame = [id, event.type, JSON.stringify(envelope)];
      session.history.push(frame);
      if (session.history.length > MAX_HISTORY) session.history.shift();
      session.channel.broadcast(frame[2], frame[1], { eventId: id });
      ids.push(id);
    }
    answer(res, 201, { sessionId, ids });
  });
}

async function stream(req, res, sessionId) {
  const sse = await createSession(req, res, {
    retry: RETRY_MS,
    keepAlive: null,
    serializer: identity,
    headers: { "X-Accel-Buffering": "no" },
  });
  const after = Number.parseInt(sse.lastId, 10) || 0;
  const session = hubSession(sessionId);
  const hello = { status: "connected", sessionId, timestamp: now() };
  // better-sse always writes an id field: the client's own keeps its last event id as it was.
  sse.push(JSON.stringify({ type: "connection", data: hello, id: "", timestamp: now() }),
    "connection", sse.lastId);
  for (const [id, type, data] of session.history) {
    if (Number(id) > after) sse.push(data, type, id);
  }
  session.channel.register(sse);
}

const { values } = parseArgs({
  options: { host: { type: "string", default: "127.0.0.1" }, port: { type: "string" } },
});
const server = http.createServer((req, res) => {
  const path = req.url.split("?", 1)[0];
  let match = /^\/api\/sessions\/([^/]+)\/events$/.exec(path);
  if (match && req.method === "POST") return publish(req, res, decodeURIComponent(match[1]));
  match = /^\/sse\/([^/]+)$/.exec(path);
  if (match && req.method === "GET") {
    stream(req, res, decodeURIComponent(match[1])).catch(() => res.destroy());
    return;
  }
  answer(res, 404, { title: "not found", status: 404 }, "application/problem+json");
});
server.listen({ host: values.host, port: Number(values.port) });
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  });
}
