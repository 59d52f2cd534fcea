/* Built from clients/typescript by `node clients/typescript/scripts/build.mjs static`. Do not edit: rebuild. */
var __defProp = Object.defineProperty;
var __defNormalProp = (obj, key, value) => key in obj ? __defProp(obj, key, { enumerable: true, configurable: true, writable: true, value }) : obj[key] = value;
var __publicField = (obj, key, value) => __defNormalProp(obj, typeof key !== "symbol" ? key + "" : key, value);

// src/client.ts
var EVENT_TYPES = [
  "connection",
  "error",
  "keepalive",
  "message",
  "message_deleted",
  "message_edited",
  "message_regenerated",
  "message_regenerating",
  "regeneration_error",
  "regeneration_progress",
  "status_update",
  "stream_overflow",
  "stream_reset",
  "thought_process_complete",
  "thought_process_start",
  "thought_process_step"
];
function withDefaults(options) {
  return {
    autoReconnect: true,
    maxReconnectAttempts: 5,
    reconnectDelay: 1e3,
    maxReconnectDelay: 3e4,
    pollInterval: 2e3,
    ...options
  };
}
function withParameter(url, name, value) {
  const target = new URL(url, "http://relative.invalid");
  target.searchParams.set(name, value);
  return /^[a-z][a-z0-9+.-]*:/i.test(url) ? target.toString() : target.pathname + target.search;
}
function streamOf(url) {
  const target = new URL(url, "http://relative.invalid");
  return [target.origin + target.pathname, ...target.searchParams.getAll("session")].join("\n");
}
function sessionsUrl(sessionIds, path = "/sse") {
  const query = new URLSearchParams(sessionIds.map((id) => ["session", id]));
  return `${path}${path.includes("?") ? "&" : "?"}${query.toString()}`;
}
function interruption(event) {
  const { message } = event;
  return typeof message === "string" && message !== "" ? `the stream was interrupted: ${message}` : "the stream was interrupted";
}
function resetsOf(page) {
  if ("resets" in page) return Object.entries(page.resets);
  return page.reset && page.resetReason !== null ? [[page.sessionId, page.resetReason]] : [];
}
var SluiceStream = class {
  constructor(url, options = {}) {
    __publicField(this, "status");
    __publicField(this, "url");
    __publicField(this, "options");
    __publicField(this, "source");
    /** The types the current EventSource has been asked for. */
    __publicField(this, "heard", /* @__PURE__ */ new Set());
    __publicField(this, "timer");
    /** The poll in flight: aborted when the client closes, so that its answer is not read. */
    __publicField(this, "polling");
    __publicField(this, "wanted", false);
    __publicField(this, "listeners", /* @__PURE__ */ new Map());
    __publicField(this, "anyListeners", /* @__PURE__ */ new Set());
    __publicField(this, "stateListeners", /* @__PURE__ */ new Set());
    __publicField(this, "changeListeners", /* @__PURE__ */ new Set());
    this.url = url;
    this.options = withDefaults(options);
    this.status = {
      state: "disconnected",
      reconnectAttempt: 0,
      lastEventId: options.lastEventId,
      transport: options.transport ?? "eventsource",
      error: void 0
    };
  }
  get state() {
    return this.status.state;
  }
  get lastEventId() {
    return this.status.lastEventId;
  }
  get reconnectAttempt() {
    return this.status.reconnectAttempt;
  }
  get transport() {
    return this.status.transport;
  }
  get error() {
    return this.status.error;
  }
  /** Everything {@link onChange} reports, as it stands now. */
  snapshot() {
    return this.status;
  }
  /**
   * Call `listener` with every event of `type` (a type of `M`; an open stream starts reading a
   * type it was not reading); returns the function that removes it.
   */
  on(type, listener) {
    let set = this.listeners.get(type);
    if (set === void 0) {
      set = /* @__PURE__ */ new Set();
      this.listeners.set(type, set);
    }
    const entry = listener;
    set.add(entry);
    if (this.source !== void 0) this.hear(this.source, type);
    return () => void set.delete(entry);
  }
  /**
   * Call `listener` with every event (from an EventSource, of the types it reads: the built-in
   * ones, `eventTypes` and those given to `on`); returns the function that removes it.
   */
  onEvent(listener) {
    this.anyListeners.add(listener);
    return () => void this.anyListeners.delete(listener);
  }
  /** Call `listener` on every change of `state`; returns the function that removes it. */
  onState(listener) {
    this.stateListeners.add(listener);
    return () => void this.stateListeners.delete(listener);
  }
  /**
   * Call `listener` whenever the state, `reconnectAttempt`, `lastEventId`, `transport` or
   * `error` changes (each retry counts); returns the function that removes it.
   */
  onChange(listener) {
    this.changeListeners.add(listener);
    return () => void this.changeListeners.delete(listener);
  }
  /**
   * Use `url` from now on. A string that differs from the current one reconnects at once when
   * connected, resuming after the last event when it names the same stream (only its query
   * changed, a new token say) and starting afresh otherwise. A function never reconnects by
   * itself: it is called on the next attempt.
   */
  setUrl(url) {
    const previous = this.url;
    this.url = url;
    if (typeof url === "function" || url === previous) return;
    if (typeof previous === "string" && streamOf(previous) !== streamOf(url)) {
      this.update({ lastEventId: this.options.lastEventId });
    }
    if (this.wanted) {
      this.close();
      this.update({ reconnectAttempt: 0 });
      this.open("connecting");
    }
  }
  /** Use `options` from the next attempt on, without reconnecting. */
  configure(options) {
    this.options = withDefaults(options);
  }
  /** Open the stream (or start polling); does nothing when already open. */
  connect() {
    if (this.wanted) return;
    this.wanted = true;
    this.update({ reconnectAttempt: 0, transport: this.options.transport ?? "eventsource" });
    this.open("connecting");
  }
  /** Close the stream and stop reconnecting. */
  disconnect() {
    this.wanted = false;
    this.close();
    this.update({ state: "disconnected" });
  }
  /** Close and open again at once (after `error` too), resuming after the last event. */
  reconnect() {
    this.disconnect();
    this.connect();
  }
  currentUrl() {
    return typeof this.url === "function" ? this.url() : this.url;
  }
  open(state) {
    this.update({ state });
    const factory = this.options.eventSource ?? globalThis.EventSource;
    if (factory === void 0 || this.status.transport === "polling") {
      this.update({ transport: "polling" });
      this.poll();
      return;
    }
    const resume = this.status.lastEventId;
    const url = this.currentUrl();
    const source = new factory(resume === void 0 ? url : withParameter(url, "lastEventId", resume), {
      withCredentials: this.options.withCredentials ?? false
    });
    this.source = source;
    source.onopen = () => {
      if (this.source === source) this.update({ state: "connected", reconnectAttempt: 0, error: void 0 });
    };
    source.onerror = (event) => {
      if (this.source !== source) return;
      this.close();
      this.retry(interruption(event));
    };
    this.heard.clear();
    for (const type of [...EVENT_TYPES, ...this.options.eventTypes ?? [], ...this.listeners.keys()]) {
      this.hear(source, type);
    }
  }
  /** Ask `source` for the events of `type`, once. */
  hear(source, type) {
    if (this.heard.has(type)) return;
    this.heard.add(type);
    source.addEventListener(type, (message) => {
      if (this.source === source) this.dispatch(JSON.parse(message.data));
    });
  }
  dispatch(event) {
    if (event.id) this.update({ lastEventId: event.id });
    for (const listener of this.listeners.get(event.type) ?? []) listener(event);
    for (const listener of this.anyListeners) listener(event);
  }
  retry(reason) {
    this.update({ error: reason });
    if (!this.wanted || !this.options.autoReconnect) {
      this.wanted = false;
      this.update({ state: "disconnected" });
      return;
    }
    const attempt = this.status.reconnectAttempt;
    if (attempt >= this.options.maxReconnectAttempts) {
      if (this.status.transport === "eventsource" && this.options.pollUrl !== void 0) {
        this.update({ transport: "polling", reconnectAttempt: 0 });
        this.open("reconnecting");
        return;
      }
      this.wanted = false;
      this.update({ state: "error" });
      return;
    }
    const delay = Math.min(this.options.reconnectDelay * 2 ** attempt, this.options.maxReconnectDelay);
    this.update({ state: "reconnecting", reconnectAttempt: attempt + 1 });
    this.timer = setTimeout(() => {
      this.timer = void 0;
      if (this.wanted) this.open("reconnecting");
    }, delay);
  }
  poll() {
    const pollUrl = this.options.pollUrl;
    if (pollUrl === void 0) {
      this.wanted = false;
      this.update({ state: "error", error: "no EventSource here and no pollUrl to fall back on" });
      return;
    }
    const base = typeof pollUrl === "function" ? pollUrl() : pollUrl;
    const after = this.status.lastEventId;
    const target = after === void 0 ? base : withParameter(base, "after", after);
    const polling = new AbortController();
    this.polling = polling;
    const signal = polling.signal;
    fetch(target, { headers: this.options.pollHeaders ?? {}, credentials: "include", signal }).then(async (response) => {
      if (!response.ok) throw new Error(`polling answered ${response.status}`);
      return await response.json();
    }).then((page) => {
      if (signal.aborted) return;
      this.polling = void 0;
      this.update({ state: "connected", reconnectAttempt: 0, error: void 0 });
      for (const [sessionId, reason] of resetsOf(page)) this.dispatch(this.resetEvent(sessionId, reason, page));
      for (const event of page.events) this.dispatch(event);
      this.update({ lastEventId: page.lastEventId ?? void 0 });
      this.timer = setTimeout(() => {
        this.timer = void 0;
        if (this.wanted) this.poll();
      }, this.options.pollInterval);
    }).catch((error) => {
      if (signal.aborted) return;
      this.polling = void 0;
      this.retry(String(error));
    });
  }
  /** The `stream_reset` a stream would have sent, for a history page that says `reset`. */
  resetEvent(sessionId, reason, page) {
    const now = (/* @__PURE__ */ new Date()).toISOString();
    const after = this.status.lastEventId;
    return {
      ..."resets" in page ? { sessionId } : {},
      // as a stream of several sessions names it
      type: "stream_reset",
      id: "",
      timestamp: now,
      data: {
        reason,
        sessionId,
        timestamp: now,
        ...after === void 0 ? {} : { lastEventId: after }
      }
    };
  }
  close() {
    this.source?.close();
    this.source = void 0;
    this.polling?.abort();
    this.polling = void 0;
    if (this.timer !== void 0) clearTimeout(this.timer);
    this.timer = void 0;
  }
  update(patch) {
    const before = this.status;
    const after = { ...before, ...patch };
    const changed = Object.keys(patch).some((key) => before[key] !== after[key]);
    if (!changed) return;
    this.status = after;
    if (after.state !== before.state) for (const listener of this.stateListeners) listener(after.state);
    for (const listener of this.changeListeners) listener(after);
  }
};
export {
  EVENT_TYPES,
  SluiceStream,
  sessionsUrl
};
