// The stream client's own tests (without React): what a closed connection leaves behind. Run by
// tests/clients/test_client_hook.py against the compiled package (SLUICE_CLIENT_DIST).
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it, mock } from "node:test";

import { FakeEventSource } from "./fakes.mjs";

const { SluiceStream } = await import(new URL("client.js", `${process.env.SLUICE_CLIENT_DIST}/`).href);

/** A fetch whose answers the test gives, one per request, in any order; aborts are kept. */
function heldFetch() {
  const requests = [];
  globalThis.fetch = (url, init) =>
    new Promise((resolve, reject) => {
      const request = { url, init, resolve, aborted: false };
      init.signal?.addEventListener("abort", () => {
        request.aborted = true;
        reject(new DOMException("aborted", "AbortError"));
      });
      requests.push(request);
    });
  return requests;
}

function page(...ids) {
  const events = ids.map((id) => ({ type: "message", data: { content: id }, id, timestamp: "2026-01-01T00:00:00Z" }));
  const body = { sessionId: "s", events, lastEventId: ids.at(-1) ?? null, reset: false, resetReason: null };
  return { ok: true, status: 200, json: async () => body };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

beforeEach(() => mock.timers.enable({ apis: ["setTimeout"] }));
afterEach(() => {
  mock.timers.reset();
  delete globalThis.fetch;
});

describe("SluiceStream polling", () => {
  for (const [name, restart] of [
    ["disconnect and connect", (stream) => (stream.disconnect(), stream.connect())],
    ["reconnect", (stream) => stream.reconnect()],
    ["a new URL", (stream) => stream.setUrl("/sse/s?access_token=new")],
  ]) {
    it(`drops the poll in flight on ${name}: no event twice, one polling loop`, async () => {
      const requests = heldFetch();
      const stream = new SluiceStream("/sse/s", { transport: "polling", pollUrl: "/api/sessions/s/events", pollInterval: 100 });
      const seen = [];
      stream.on("message", (e) => seen.push(e.id));
      stream.connect();
      restart(stream);
      assert.equal(requests.length, 2);
      assert.equal(requests[0].aborted, true);
      requests[0].resolve(page("e-1")); // too late: the connection it belonged to is closed
      requests[1].resolve(page("e-1"));
      await settle();
      assert.deepEqual(seen, ["e-1"]);
      mock.timers.tick(100);
      assert.equal(requests.length, 3); // one loop polls on, not two
      assert.match(requests[2].url, /after=e-1/);
      stream.disconnect();
      assert.equal(requests[2].aborted, true);
      await settle();
      assert.equal(stream.state, "disconnected");
    });
  }
});

describe("SluiceStream errors", () => {
  it("says why the stream failed when the EventSource says it (Node's eventsource package)", () => {
    FakeEventSource.reset();
    const stream = new SluiceStream("http://hub/sse/s", { eventSource: FakeEventSource, maxReconnectAttempts: 1 });
    stream.connect();
    FakeEventSource.last.onerror(Object.assign(new Event("error"), { code: 401, message: "Non-200 status code (401)" }));
    assert.equal(stream.error, "the stream was interrupted: Non-200 status code (401)");
    mock.timers.tick(1000);
    FakeEventSource.last.failed(); // a browser's error event says nothing
    assert.equal(stream.state, "error");
    assert.equal(stream.error, "the stream was interrupted");
  });
});
