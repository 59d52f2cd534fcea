// Test doubles for the client's tests: an EventSource the test drives, and a React harness.
import React from "react";
import TestRenderer from "react-test-renderer";

globalThis.IS_REACT_ACT_ENVIRONMENT = true;
export const { act } = React;

/** An EventSource whose open, events and errors the test sends; every instance is kept. */
export class FakeEventSource {
  static instances = [];

  constructor(url, init) {
    this.url = url;
    this.init = init;
    this.readyState = 0;
    this.onopen = null;
    this.onerror = null;
    this.closed = false;
    this.handlers = new Map();
    FakeEventSource.instances.push(this);
  }

  static reset() {
    FakeEventSource.instances = [];
  }

  static get last() {
    return FakeEventSource.instances.at(-1);
  }

  static get open() {
    return FakeEventSource.instances.filter((source) => !source.closed);
  }

  addEventListener(type, handler) {
    const handlers = this.handlers.get(type) ?? [];
    handlers.push(handler);
    this.handlers.set(type, handlers);
  }

  close() {
    this.closed = true;
    this.readyState = 2;
  }

  opened() {
    this.readyState = 1;
    this.onopen?.(new Event("open"));
  }

  failed() {
    this.onerror?.(new Event("error"));
  }

  /** Deliver an event of `type` whose envelope carries `data` and `id`. */
  emit(type, data = {}, id = "") {
    const envelope = { type, data, id, timestamp: "2026-01-01T00:00:00Z" };
    for (const handler of this.handlers.get(type) ?? []) handler({ data: JSON.stringify(envelope) });
  }
}

/**
 * Render `useHook(props)` in a component; returns the latest result, the render count and
 * `rerender(props)`. Every render is counted, so a test can tell a reconnect storm.
 */
export function renderHook(useHook, props) {
  const rendered = { current: undefined, renders: 0 };
  function Probe(probeProps) {
    rendered.renders += 1;
    rendered.current = useHook(probeProps);
    return null;
  }
  let root;
  act(() => {
    root = TestRenderer.create(React.createElement(Probe, props));
  });
  rendered.rerender = (next) => act(() => root.update(React.createElement(Probe, next)));
  rendered.unmount = () => act(() => root.unmount());
  return rendered;
}
