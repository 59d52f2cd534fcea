// The hook's tests: the guide's frontend tests (connection states, reconnect on error, listener
// cleanup) and the kinds of fault that made a reconnect storm, with render counts. Run by
// tests/clients/test_client_units.py against the compiled package (SLUICE_CLIENT_DIST).
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it, mock } from "node:test";

import { act, FakeEventSource, renderHook } from "./fakes.mjs";

const { useSSE } = await import(new URL("index.js", `${process.env.SLUICE_CLIENT_DIST}/`).href);

beforeEach(() => {
  FakeEventSource.reset();
  mock.timers.enable({ apis: ["setTimeout"] });
});
afterEach(() => mock.timers.reset());

const base = { eventSource: FakeEventSource };

describe("useSSE (the guide's tests)", () => {
  it("connects to SSE stream", () => {
    const hook = renderHook(() => useSSE("/test/session", base));
    assert.equal(FakeEventSource.instances.length, 1);
    assert.match(FakeEventSource.last.url, /\/test\/session/);
    assert.equal(typeof FakeEventSource.last.init, "object");
    assert.equal(hook.current.connectionState, "connecting");
  });

  it("handles events", () => {
    const hook = renderHook(() => useSSE("/test/session", base));
    act(() => FakeEventSource.last.emit("message", { content: "Hello" }, "e-1"));
    assert.equal(hook.current.lastEvent?.type, "message");
    assert.equal(hook.current.lastEvent?.data.content, "Hello");
    assert.deepEqual(hook.current.events.map((e) => e.id), ["e-1"]);
  });

  it("reconnects on error", () => {
    const hook = renderHook(() => useSSE("/test/session", { ...base, autoReconnect: true, reconnectDelay: 100 }));
    act(() => FakeEventSource.last.failed());
    assert.equal(hook.current.connectionState, "reconnecting");
    act(() => mock.timers.tick(100));
    assert.equal(FakeEventSource.instances.length, 2);
    act(() => FakeEventSource.last.opened());
    assert.equal(hook.current.connectionState, "connected");
    assert.equal(hook.current.reconnectAttempt, 0);
  });

  it("goes through the connection states", () => {
    const hook = renderHook(() => useSSE("/test/session", base));
    assert.equal(hook.current.connectionState, "connecting");
    act(() => FakeEventSource.last.opened());
    assert.equal(hook.current.connectionState, "connected");
    assert.equal(hook.current.isConnected, true);
    act(() => hook.current.disconnect());
    assert.equal(hook.current.connectionState, "disconnected");
    assert.equal(FakeEventSource.last.closed, true);
  });

  it("cleans up listeners and closes the stream on unmount", () => {
    const hook = renderHook(() => useSSE("/test/session", base));
    const heard = [];
    const stop = hook.current.addEventListener("message", (e) => heard.push(e.data.content));
    act(() => FakeEventSource.last.emit("message", { content: "one" }, "e-1"));
    stop();
    act(() => FakeEventSource.last.emit("message", { content: "two" }, "e-2"));
    assert.deepEqual(heard, ["one"]);
    hook.unmount();
    assert.equal(FakeEventSource.open.length, 0);
  });
});

describe("useSSE holds its URL and options (no reconnect storm)", () => {
  it("keeps one connection across 50 re-renders with an inline URL function and options", () => {
    let token = 0;
    const hook = renderHook(({ n }) => useSSE(() => `/sse/s?access_token=t${token}-${n}`, { ...base, reconnectDelay: 10 }), { n: 0 });
    act(() => FakeEventSource.last.opened());
    const settled = hook.renders;
    for (let n = 1; n <= 50; n += 1) hook.rerender({ n });
    assert.equal(FakeEventSource.instances.length, 1);
    assert.equal(hook.renders, settled + 50); // one render per re-render, none from reconnects
    assert.equal(hook.current.connectionState, "connected");
    token = 7;
    act(() => FakeEventSource.last.failed());
    act(() => mock.timers.tick(10));
    assert.equal(FakeEventSource.last.url, "/sse/s?access_token=t7-50"); // the latest function, called on the attempt
  });

  it("renders nothing while the stream is idle", () => {
    const hook = renderHook(() => useSSE(() => "/sse/s", { ...base }));
    act(() => FakeEventSource.last.opened());
    const settled = hook.renders;
    act(() => mock.timers.tick(60_000));
    assert.equal(hook.renders, settled);
    assert.equal(FakeEventSource.instances.length, 1);
  });

  it("renders once per event", () => {
    const hook = renderHook(() => useSSE("/sse/s", base));
    act(() => FakeEventSource.last.opened());
    const settled = hook.renders;
    for (let i = 1; i <= 10; i += 1) act(() => FakeEventSource.last.emit("message", { content: `${i}` }, `e-${i}`));
    assert.equal(hook.renders, settled + 10);
  });

  it("reconnects on a changed URL string, resuming on the same stream", () => {
    const hook = renderHook(({ url }) => useSSE(url, base), { url: "/sse/s?access_token=a" });
    act(() => FakeEventSource.last.opened());
    act(() => FakeEventSource.last.emit("message", { content: "x" }, "e-9"));
    hook.rerender({ url: "/sse/s?access_token=b" });
    assert.equal(FakeEventSource.instances.length, 2);
    assert.equal(FakeEventSource.instances[0].closed, true);
    assert.equal(FakeEventSource.last.url, "/sse/s?access_token=b&lastEventId=e-9");
    hook.rerender({ url: "/sse/other" });
    assert.equal(FakeEventSource.instances.length, 3);
    assert.equal(FakeEventSource.last.url, "/sse/other"); // another stream starts afresh
    assert.equal(hook.current.lastEventId, undefined);
  });

  it("keeps listeners across reconnects and URL changes, and hears them before the stream opens", () => {
    const hook = renderHook(({ url }) => useSSE(url, { ...base, reconnectDelay: 5 }), { url: null });
    const heard = [];
    hook.current.addEventListener("message", (e) => heard.push(e.data.content));
    hook.rerender({ url: "/sse/s" });
    act(() => FakeEventSource.last.emit("message", { content: "first" }, "e-1"));
    act(() => FakeEventSource.last.failed());
    act(() => mock.timers.tick(5));
    act(() => FakeEventSource.last.emit("message", { content: "after a reconnect" }, "e-2"));
    hook.rerender({ url: "/sse/s?access_token=new" });
    act(() => FakeEventSource.last.emit("message", { content: "after a URL change" }, "e-3"));
    assert.deepEqual(heard, ["first", "after a reconnect", "after a URL change"]);
  });

  it("reports every reconnect attempt and its backoff", () => {
    const hook = renderHook(() => useSSE("/sse/s", { ...base, reconnectDelay: 1000, maxReconnectAttempts: 4 }));
    const attempts = [];
    for (const delay of [1000, 2000, 4000, 8000]) {
      act(() => FakeEventSource.last.failed());
      attempts.push(hook.current.reconnectAttempt);
      const before = FakeEventSource.instances.length;
      act(() => mock.timers.tick(delay - 1));
      assert.equal(FakeEventSource.instances.length, before, `no attempt before ${delay} ms`);
      act(() => mock.timers.tick(1));
      assert.equal(FakeEventSource.instances.length, before + 1);
    }
    assert.deepEqual(attempts, [1, 2, 3, 4]);
    act(() => FakeEventSource.last.failed());
    assert.equal(hook.current.connectionState, "error");
  });

  it("reports lastEventId and the transport as they change", async () => {
    const hook = renderHook(() => useSSE("/sse/s", base));
    act(() => FakeEventSource.last.emit("message", { content: "x" }, "e-5"));
    assert.equal(hook.current.lastEventId, "e-5");
    assert.equal(hook.current.transport, "eventsource");
    const page = { sessionId: "s", events: [], reset: false, resetReason: null, lastEventId: "e-5" };
    const polled = [];
    globalThis.fetch = async (url) => {
      polled.push(url);
      return { ok: true, json: async () => page };
    };
    const polling = renderHook(() => useSSE("/sse/s", { pollUrl: "/api/sessions/s/events", lastEventId: "e-4" }));
    await act(async () => {
      await new Promise((resolve) => setImmediate(resolve));
    });
    assert.equal(polling.current.transport, "polling");
    assert.equal(polling.current.connectionState, "connected");
    assert.equal(polling.current.lastEventId, "e-5");
    assert.deepEqual(polled, ["/api/sessions/s/events?after=e-4"]);
    polling.unmount();
    delete globalThis.fetch;
  });

  it("polls from the start when asked to, though an EventSource exists", async () => {
    const page = { sessionId: "s", events: [], reset: false, resetReason: null, lastEventId: null };
    globalThis.fetch = async () => ({ ok: true, json: async () => page });
    const hook = renderHook(() => useSSE("/sse/s", { ...base, transport: "polling", pollUrl: "/api/sessions/s/events" }));
    await act(async () => {
      await new Promise((resolve) => setImmediate(resolve));
    });
    assert.equal(FakeEventSource.instances.length, 0);
    assert.equal(hook.current.transport, "polling");
    assert.equal(hook.current.connectionState, "connected");
    hook.unmount();
    delete globalThis.fetch;
  });
});
