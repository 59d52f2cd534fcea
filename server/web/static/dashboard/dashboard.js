/* Built from clients/typescript by `node clients/typescript/scripts/build.mjs static`. Do not edit: rebuild. */
var __defProp = Object.defineProperty;
var __defNormalProp = (obj, key, value2) => key in obj ? __defProp(obj, key, { enumerable: true, configurable: true, writable: true, value: value2 }) : obj[key] = value2;
var __publicField = (obj, key, value2) => __defNormalProp(obj, typeof key !== "symbol" ? key + "" : key, value2);

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
function withParameter(url, name, value2) {
  const target = new URL(url, "http://relative.invalid");
  target.searchParams.set(name, value2);
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
    const pollUrl2 = this.options.pollUrl;
    if (pollUrl2 === void 0) {
      this.wanted = false;
      this.update({ state: "error", error: "no EventSource here and no pollUrl to fall back on" });
      return;
    }
    const base = typeof pollUrl2 === "function" ? pollUrl2() : pollUrl2;
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

// dashboard/api.ts
var ProblemError = class extends Error {
  constructor(status, detail, errors = []) {
    super(detail);
    __publicField(this, "status", status);
    __publicField(this, "errors", errors);
  }
};
var TOKEN_KEY = "sluice-token";
function token() {
  return sessionStorage.getItem(TOKEN_KEY) ?? "";
}
function setToken(value2) {
  if (value2) sessionStorage.setItem(TOKEN_KEY, value2);
  else sessionStorage.removeItem(TOKEN_KEY);
}
function hubUrl(path) {
  return new URL(path, document.baseURI).toString();
}
function withToken(url) {
  const target = new URL(url);
  if (token()) target.searchParams.set("access_token", token());
  return target.toString();
}
function streamUrl(sessionIds) {
  return withToken(sessionsUrl(sessionIds, hubUrl("sse")));
}
function pollUrl(sessionIds) {
  return sessionsUrl(sessionIds, hubUrl("api/events"));
}
function authHeaders() {
  return token() ? { Authorization: `Bearer ${token()}` } : {};
}
async function answer(response) {
  const body = await response.json().catch(() => null);
  if (response.ok) return body;
  const problem = body ?? {};
  throw new ProblemError(response.status, problem.detail ?? problem.title ?? `HTTP ${response.status}`, problem.errors ?? []);
}
async function getJson(path) {
  return answer(await fetch(hubUrl(path), { headers: authHeaders() }));
}
async function postJson(path, body) {
  const headers = { ...authHeaders(), "Content-Type": "application/json" };
  return answer(await fetch(hubUrl(path), { method: "POST", headers, body: JSON.stringify(body) }));
}

// dashboard/catalogue.ts
var HUB_EVENTS = /* @__PURE__ */ new Set(["connection", "keepalive", "stream_reset", "stream_overflow"]);
async function loadSessionIdRule() {
  const defs = await getJson("schemas/defs.json");
  const { pattern, description } = defs.$defs.sessionId;
  const compiled = new RegExp(pattern, "u");
  return { test: (sessionId) => compiled.test(sessionId), description };
}
function documentName(base, ref) {
  return new URL(ref, `https://schemas.invalid/${base}`).pathname.slice(1);
}
var Resolver = class {
  constructor() {
    __publicField(this, "documents", /* @__PURE__ */ new Map());
  }
  document(name) {
    let found = this.documents.get(name);
    if (found === void 0) {
      found = getJson(`schemas/${name}`);
      this.documents.set(name, found);
    }
    return found;
  }
  /** `schema` with its `$ref` (relative to the document `base`) replaced by the target, siblings kept. */
  async resolve(base, schema) {
    if (schema.$ref === void 0) return schema;
    const target = new URL(schema.$ref, `https://schemas.invalid/${base}`);
    const name = documentName(base, schema.$ref);
    let node = await this.document(name);
    for (const part of target.hash.replace(/^#\/?/, "").split("/").filter(Boolean)) {
      node = node[decodeURIComponent(part).replace(/~1/g, "/").replace(/~0/g, "~")];
    }
    const { $ref: _ref, ...siblings } = schema;
    return { ...await this.resolve(name, node), ...siblings };
  }
};
async function loadCatalogue() {
  const resolver = new Resolver();
  const event = await resolver.document("event.json");
  const dataSchemas = /* @__PURE__ */ new Map();
  for (const branch of event.allOf ?? []) {
    const type = branch.if?.properties?.type?.const;
    const data = branch.then?.properties?.data;
    if (type !== void 0 && data !== void 0) dataSchemas.set(type, data);
  }
  const catalogue = /* @__PURE__ */ new Map();
  for (const type of event.properties.type.enum) {
    const data = dataSchemas.get(type);
    if (HUB_EVENTS.has(type) || data === void 0) continue;
    const name = data.$ref === void 0 ? "event.json" : documentName("event.json", data.$ref);
    const schema = await resolver.resolve("event.json", data);
    const properties = {};
    for (const [key, property] of Object.entries(schema.properties ?? {})) {
      properties[key] = await resolver.resolve(name, property);
    }
    catalogue.set(type, { ...schema, properties });
  }
  return catalogue;
}

// dashboard/dom.ts
function el(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value2] of Object.entries(attributes)) {
    if (value2 === true) element.setAttribute(name, "");
    else if (value2 !== false) element.setAttribute(name, value2);
  }
  for (const child of children) if (child !== null && child !== void 0) element.append(child);
  return element;
}
function find(root, selector) {
  const found = root.querySelector(selector);
  if (found === null) throw new Error(`the page has no ${selector}`);
  return found;
}

// dashboard/publishForm.ts
var REQUIRED = /^'([^']+)' is a required property$/;
function kind(schema) {
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type;
  if (schema.enum !== void 0) return "enum";
  return type ?? "json";
}
function input(name, schema) {
  switch (kind(schema)) {
    case "enum":
      return el("select", { name }, el("option", { value: "" }, ""), ...(schema.enum ?? []).map((v) => el("option", { value: JSON.stringify(v) }, String(v))));
    case "boolean":
      return el("select", { name }, el("option", { value: "" }, ""), el("option", { value: "true" }, "true"), el("option", { value: "false" }, "false"));
    case "integer":
    case "number":
      return el("input", { name, type: "text", inputmode: "decimal" });
    case "string":
      return el("input", { name, type: "text", placeholder: schema.format ?? "" });
    default:
      return el("textarea", { name, rows: "2", placeholder: "JSON" });
  }
}
function value(raw, schema) {
  if (raw === "") return void 0;
  switch (kind(schema)) {
    case "enum":
    case "boolean":
    case "json":
    case "array":
    case "object":
      return JSON.parse(raw);
    case "integer":
    case "number": {
      const number = Number(raw);
      if (Number.isNaN(number)) throw new Error(`${JSON.stringify(raw)} is not a number`);
      return number;
    }
    default:
      return raw;
  }
}
var PublishForm = class {
  constructor(sessionId, catalogue) {
    __publicField(this, "sessionId", sessionId);
    __publicField(this, "catalogue", catalogue);
    __publicField(this, "element");
    __publicField(this, "typeSelect");
    __publicField(this, "fields");
    __publicField(this, "result");
    this.typeSelect = el("select", { name: "type" }, ...[...catalogue.keys()].map((t) => el("option", { value: t }, t)));
    this.fields = el("div", { class: "fields" });
    this.result = el("p", { class: "result", role: "status" });
    this.element = el(
      "form",
      { class: "publish", novalidate: true },
      el("label", {}, "event type", this.typeSelect),
      this.fields,
      el("button", { type: "submit" }, "Publish"),
      this.result
    );
    this.typeSelect.addEventListener("change", () => this.renderFields());
    this.element.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.submit();
    });
    this.renderFields();
  }
  schema() {
    return this.catalogue.get(this.typeSelect.value) ?? {};
  }
  renderFields() {
    const schema = this.schema();
    const required = new Set(schema.required ?? []);
    this.fields.replaceChildren(
      ...Object.entries(schema.properties ?? {}).map(
        ([name, property]) => el(
          "label",
          { "data-field": name },
          required.has(name) ? `${name} *` : name,
          input(name, property),
          property.description ? el("span", { class: "hint" }, property.description) : null,
          el("span", { class: "field-error", hidden: true })
        )
      )
    );
    this.result.textContent = "";
  }
  showErrors(errors) {
    const general = [];
    for (const error of errors) {
      const required = REQUIRED.exec(error.message);
      const name = error.pointer.startsWith("/data/") ? error.pointer.split("/")[2] : error.pointer === "/data" && required ? required[1] : void 0;
      const slot = name === void 0 ? null : this.fields.querySelector(`[data-field="${CSS.escape(name)}"] .field-error`);
      if (slot === null) {
        general.push(`${JSON.stringify(error.pointer)}: ${error.message}`);
        continue;
      }
      const inner = error.pointer.startsWith(`/data/${name}/`) ? error.pointer.slice(`/data/${name}`.length) : "";
      const message = inner ? `${JSON.stringify(inner)}: ${error.message}` : error.message;
      slot.hidden = false;
      slot.textContent = slot.textContent ? `${slot.textContent}; ${message}` : message;
    }
    this.result.className = "result error";
    this.result.textContent = general.length ? general.join("; ") : "not published: fix the fields marked";
  }
  async submit() {
    this.result.className = "result";
    this.result.textContent = "";
    for (const slot of this.fields.querySelectorAll(".field-error")) {
      slot.hidden = true;
      slot.textContent = "";
    }
    const data = {};
    const local = [];
    for (const [name, property] of Object.entries(this.schema().properties ?? {})) {
      const control = this.fields.querySelector(`[name="${CSS.escape(name)}"]`);
      try {
        const typed = value(control?.value.trim() ?? "", property);
        if (typed !== void 0) data[name] = typed;
      } catch (error) {
        local.push({ pointer: `/data/${name}`, message: error instanceof Error ? error.message : String(error) });
      }
    }
    if (local.length) return this.showErrors(local);
    try {
      const answer2 = await postJson(`api/sessions/${this.sessionId}/events`, { type: this.typeSelect.value, data });
      this.result.className = "result";
      this.result.textContent = `published ${answer2.ids.join(", ")}`;
    } catch (error) {
      if (error instanceof ProblemError && error.errors.length) this.showErrors(error.errors);
      else {
        this.result.className = "result error";
        this.result.textContent = error instanceof Error ? error.message : String(error);
      }
    }
  }
};

// dashboard/panel.ts
var MAX_ROWS = 500;
var FRAME_FALLBACK = 1e3;
function emptyDraft() {
  return { rows: [], overflowed: false, thinkingRestart: false, thinking: [], notices: [] };
}
function time(timestamp) {
  const date = new Date(timestamp);
  return Number.isNaN(date.getTime()) ? timestamp : date.toISOString().slice(11, 23);
}
function progressText(text, percent) {
  return /\d\s*%/.test(text) ? text : `${text} ${Math.round(percent)}%`;
}
var SessionPanel = class {
  constructor(sessionId, catalogue, onClose) {
    __publicField(this, "sessionId", sessionId);
    __publicField(this, "element");
    __publicField(this, "opened", Date.now());
    /** Ids of the events shown (at most twice `MAX_ROWS`, oldest forgotten first). */
    __publicField(this, "shown", /* @__PURE__ */ new Set());
    /** Events that arrived while the history was read, shown after it. */
    __publicField(this, "held");
    /** A `connection` row is shown once: each re-open of the shared stream sends another. */
    __publicField(this, "connectionShown", false);
    __publicField(this, "draft", emptyDraft());
    /** The pending draw (an animation frame and its fallback timer), if one is scheduled. */
    __publicField(this, "pending");
    __publicField(this, "state", el("span", { class: "state" }));
    __publicField(this, "notices", el("div", { class: "notices" }));
    __publicField(this, "progressLabel", el("span", { class: "progress-label" }));
    __publicField(this, "progressBar", el("progress", { max: "100", value: "0" }));
    __publicField(this, "progress", el("div", { class: "progress", hidden: true }, this.progressLabel, this.progressBar));
    __publicField(this, "thinking", el("ol", { class: "thinking" }));
    __publicField(this, "rows", el("tbody"));
    const close = el("button", { type: "button", class: "close", title: "close" }, "close");
    close.addEventListener("click", () => onClose(this));
    this.element = el(
      "article",
      { class: "panel", "data-session": sessionId },
      el("header", {}, el("h2", {}, sessionId), this.state, close),
      this.notices,
      this.progress,
      this.thinking,
      el("div", { class: "events-box" }, el("table", { class: "events" }, el("thead", {}, el("tr", {}, el("th", {}, "type"), el("th", {}, "id"), el("th", {}, "time"), el("th", {}, ""))), this.rows)),
      el("details", {}, el("summary", {}, "Publish an event"), new PublishForm(sessionId, catalogue).element),
      this.regenerateForm()
    );
    this.showStatus({ state: "connecting", reconnectAttempt: 0, lastEventId: void 0, transport: "eventsource", error: void 0 });
  }
  close() {
    if (this.pending !== void 0) {
      cancelAnimationFrame(this.pending.frame);
      clearTimeout(this.pending.timer);
      this.pending = void 0;
    }
    this.element.remove();
  }
  /** Show `event` (after the history being read, if it is). */
  receive(event) {
    if (this.held === void 0) this.show(event);
    else this.held.push(event);
  }
  /**
   * Show `history` (the session's events before those the stream brings) first, then the
   * events received meanwhile; an event in both is shown once.
   */
  async catchUp(history2) {
    this.held = [];
    try {
      for (const event of await history2) this.show(event);
    } catch (error) {
      this.notice("error", `The history could not be read: ${error instanceof Error ? error.message : String(error)}`);
    }
    const held = this.held;
    this.held = void 0;
    for (const event of held) this.show(event);
  }
  /** The state of the stream that brings this session's events. */
  showStatus(status) {
    const attempt = status.state === "reconnecting" ? ` (attempt ${status.reconnectAttempt})` : "";
    const via = status.transport === "polling" ? ", polling" : "";
    this.state.className = `state ${status.state}`;
    this.state.textContent = `${status.state}${attempt}${via}`;
    this.state.title = status.error ?? "";
  }
  /** Queue `event` for the next frame (once per id; the first `connection` only). */
  show(event) {
    if (event.type === "keepalive") return;
    if (event.type === "connection") {
      if (this.connectionShown) return;
      this.connectionShown = true;
    }
    if (event.id) {
      if (this.shown.has(event.id)) return;
      this.shown.add(event.id);
      if (this.shown.size > 2 * MAX_ROWS) this.shown.delete(this.shown.values().next().value);
    }
    const rows = this.draft.rows;
    rows.push(event);
    if (rows.length >= 2 * MAX_ROWS) {
      rows.splice(0, rows.length - MAX_ROWS);
      this.draft.overflowed = true;
    }
    this.interpret(event);
    this.schedule();
  }
  schedule() {
    if (this.pending !== void 0) return;
    this.pending = {
      frame: requestAnimationFrame(() => this.draw()),
      timer: setTimeout(() => this.draw(), FRAME_FALLBACK)
    };
  }
  /** Draw what was queued since the last frame: the one place the panel's DOM changes for events. */
  draw() {
    if (this.pending !== void 0) {
      cancelAnimationFrame(this.pending.frame);
      clearTimeout(this.pending.timer);
      this.pending = void 0;
    }
    const draft = this.draft;
    this.draft = emptyDraft();
    const kept = draft.rows.slice(-MAX_ROWS);
    if (kept.length) {
      const fragment = document.createDocumentFragment();
      for (const event of kept) fragment.append(this.row(event));
      if (draft.overflowed || kept.length === MAX_ROWS) this.rows.replaceChildren(fragment);
      else {
        const excess = this.rows.rows.length + kept.length - MAX_ROWS;
        if (excess > 0) {
          const range = document.createRange();
          range.setStartBefore(this.rows.rows[0]);
          range.setEndAfter(this.rows.rows[excess - 1]);
          range.deleteContents();
        }
        this.rows.append(fragment);
      }
      const box = this.rows.closest(".events-box");
      box?.scrollTo({ top: box.scrollHeight });
    }
    if (draft.progress !== void 0) {
      this.progress.hidden = false;
      this.progressBar.value = draft.progress.percent;
      this.progressLabel.textContent = progressText(draft.progress.label, draft.progress.percent);
    }
    if (draft.thinkingRestart) this.thinking.replaceChildren(...draft.thinking);
    else if (draft.thinking.length) this.thinking.append(...draft.thinking);
    for (const { kind: kind2, text } of draft.notices) this.notice(kind2, text);
  }
  row(event) {
    const when = Date.parse(event.timestamp) < this.opened ? "history" : "live";
    return el("tr", { class: `${when} event-${event.type}` }, el("td", {}, event.type), el("td", { class: "id" }, event.id), el("td", { class: "time", title: event.timestamp }, time(event.timestamp)), el("td", { class: "muted" }, when));
  }
  /** Note in the draft what `event` changes besides its row. */
  interpret(event) {
    const draft = this.draft;
    switch (event.type) {
      case "regeneration_progress":
        draft.progress = { percent: event.data.progress, label: event.data.message ?? event.data.partialContent ?? "regenerating" };
        return;
      case "status_update":
        if (event.data.progress !== void 0) draft.progress = { percent: event.data.progress, label: event.data.status };
        return;
      case "thought_process_start":
        draft.thinkingRestart = true;
        draft.thinking = [el("li", { class: "about" }, `thinking about ${event.data.thinkingAbout}`)];
        return;
      case "thought_process_step":
        draft.thinking.push(el("li", { class: "step" }, el("strong", {}, event.data.step), ` \u2014 ${event.data.reasoning}`));
        return;
      case "thought_process_complete":
        draft.thinking.push(el("li", { class: "conclusion" }, `concluded: ${event.data.conclusion}`));
        return;
      case "stream_reset":
        draft.notices.push({ kind: "reset", text: `Stream reset (${event.data.reason}): history could not cover the gap after ${event.data.lastEventId ?? "the last event"}; what the hub holds now follows.` });
        return;
      case "stream_overflow":
        draft.notices.push({ kind: "overflow", text: `Cut off as a slow reader (more than ${event.data.maxQueueSize} events waiting); reconnecting and catching up from history.` });
        return;
      default:
        return void 0;
    }
  }
  notice(kind2, text) {
    this.notices.append(el("p", { class: `notice ${kind2}`, role: "alert" }, `${(/* @__PURE__ */ new Date()).toISOString().slice(11, 19)} ${text}`));
  }
  regenerateForm() {
    const query = el("input", { name: "query", placeholder: "what to answer", required: true });
    const messageId = el("input", { name: "messageId", placeholder: "optional" });
    const result = el("span", { class: "result", role: "status" });
    const form = el("form", { class: "regenerate" }, el("label", {}, "query", query), el("label", {}, "message id", messageId), el("button", { type: "submit" }, "Regenerate"), " ", result);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const body = { sessionId: this.sessionId, query: query.value, ...messageId.value ? { messageId: messageId.value } : {} };
      postJson("api/chat_actions/regenerate", body).then(
        (answer2) => result.textContent = `started ${answer2.messageId}`,
        (error) => result.textContent = error instanceof Error ? error.message : String(error)
      );
    });
    return form;
  }
};

// dashboard/sessionsStream.ts
var PAGE = 1e3;
async function readHistory(sessionId) {
  const events = [];
  let after = null;
  for (; ; ) {
    const query = after === null ? `limit=${PAGE}` : `limit=${PAGE}&after=${encodeURIComponent(after)}`;
    const page = await getJson(`api/sessions/${sessionId}/events?${query}`);
    events.push(...page.events);
    if (page.events.length < PAGE || page.lastEventId === null) return events;
    after = page.lastEventId;
  }
}
async function refusal(url) {
  const abort = new AbortController();
  try {
    const response = await fetch(url, { signal: abort.signal, headers: { Accept: "text/event-stream" } });
    if (response.ok) return void 0;
    const problem = await response.json().catch(() => null) ?? {};
    return `the hub refuses the stream (${response.status}): ${problem.detail ?? problem.title ?? response.statusText}`;
  } catch {
    return void 0;
  } finally {
    abort.abort();
  }
}
var SessionsStream = class {
  /** `eventTypes`: every type of the hub's catalogue, a team's own too, read from the stream. */
  constructor(listener, eventTypes) {
    __publicField(this, "listener", listener);
    __publicField(this, "eventTypes", eventTypes);
    __publicField(this, "wanted", []);
    __publicField(this, "scheduled", false);
    __publicField(this, "stream");
    /** The sessions of `stream`, in the order of its URL. */
    __publicField(this, "following", []);
    /** Each followed session's last event id, with its place in the order of arrival. */
    __publicField(this, "latest", /* @__PURE__ */ new Map());
    __publicField(this, "arrivals", 0);
  }
  /**
   * Follow `sessionIds` (in this order) from now on. Calls in the same task open one stream,
   * after the task: opening eight panels opens one connection.
   */
  follow(sessionIds) {
    this.wanted = [...sessionIds];
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      const same = this.wanted.length === this.following.length && this.wanted.every((id, i) => id === this.following[i]);
      if (!same) this.open();
    });
  }
  /** Open the stream again at once, resuming (a new token goes in the URL). */
  renew() {
    this.open();
  }
  open() {
    const sessionIds = this.wanted;
    const resume = this.resumePoint(sessionIds);
    const added = sessionIds.filter((id) => !this.following.includes(id));
    for (const id of this.latest.keys()) if (!sessionIds.includes(id)) this.latest.delete(id);
    const old = this.stream;
    this.stream = void 0;
    old?.disconnect();
    this.following = sessionIds;
    if (resume !== void 0 && added.length) this.listener.joined(added);
    if (sessionIds.length === 0) return;
    const stream = new SluiceStream(() => streamUrl(sessionIds), {
      ...resume === void 0 ? {} : { lastEventId: resume },
      maxReconnectAttempts: 1e3,
      reconnectDelay: 500,
      maxReconnectDelay: 4e3,
      pollUrl: pollUrl(sessionIds),
      pollHeaders: authHeaders(),
      eventTypes: [...this.eventTypes]
      // the hub's own types are read as the built-in ones
    });
    this.stream = stream;
    stream.onChange((status) => {
      if (this.stream !== stream) return;
      this.listener.status(status);
      if (status.state === "connected") this.listener.refused(void 0);
      if (status.state === "reconnecting" && status.reconnectAttempt === 1) {
        void refusal(streamUrl(sessionIds)).then((reason) => {
          if (this.stream === stream && reason !== void 0) this.listener.refused(reason);
        });
      }
    });
    stream.onEvent((event) => {
      const sessionId = event.sessionId ?? (sessionIds.length === 1 ? sessionIds[0] : void 0);
      if (sessionId !== void 0 && event.id) this.latest.set(sessionId, { id: event.id, arrival: this.arrivals++ });
      this.listener.event(sessionId, event);
    });
    stream.connect();
  }
  /** The last event id that arrived for one of `kept` (the latest of them), if any did. */
  resumePoint(kept) {
    let found;
    for (const id of kept) {
      const last = this.latest.get(id);
      if (last !== void 0 && (found === void 0 || last.arrival > found.arrival)) found = last;
    }
    return found?.id;
  }
};

// dashboard/main.ts
var STATS_INTERVAL = 2e3;
var Dashboard = class {
  constructor(catalogue, sessionIds, maxSessions) {
    __publicField(this, "catalogue", catalogue);
    __publicField(this, "sessionIds", sessionIds);
    __publicField(this, "maxSessions", maxSessions);
    __publicField(this, "panels", /* @__PURE__ */ new Map());
    __publicField(this, "panelArea", find(document, "#panels"));
    __publicField(this, "limitNotice", find(document, "#limit"));
    __publicField(this, "streamError", find(document, "#stream-error"));
    __publicField(this, "openError", find(document, "#open-error"));
    /** The sessions the limit kept from opening, since the notice was last hidden. */
    __publicField(this, "notOpened", []);
    __publicField(this, "stream");
    this.stream = new SessionsStream(
      {
        event: (sessionId, event) => {
          if (sessionId === void 0) for (const panel of this.panels.values()) panel.receive(event);
          else this.panels.get(sessionId)?.receive(event);
        },
        status: (status) => {
          for (const panel of this.panels.values()) panel.showStatus(status);
        },
        joined: (sessionIds2) => {
          for (const id of sessionIds2) void this.panels.get(id)?.catchUp(readHistory(id));
        },
        refused: (reason) => {
          this.streamError.hidden = reason === void 0;
          this.streamError.textContent = reason ?? "";
        }
      },
      [...catalogue.keys()]
    );
  }
  /** Open a panel of `sessionId`; an id the hub would refuse is not opened, and the page says why. */
  open(sessionId) {
    if (!this.sessionIds.test(sessionId)) {
      this.openError.hidden = false;
      this.openError.textContent = `${JSON.stringify(sessionId)} is not a session id. ${this.sessionIds.description}`;
      return;
    }
    this.openError.hidden = true;
    if (this.panels.has(sessionId)) return;
    if (this.panels.size >= this.maxSessions) {
      if (!this.notOpened.includes(sessionId)) this.notOpened.push(sessionId);
      this.limitNotice.hidden = false;
      this.limitNotice.textContent = `${this.notOpened.join(", ")} ${this.notOpened.length > 1 ? "are" : "is"} not open: one stream carries at most ${this.maxSessions} sessions (the hub's --max-sessions-per-stream). Close a session to open another.`;
      return;
    }
    this.hideLimit();
    const panel = new SessionPanel(sessionId, this.catalogue, (closed) => this.close(closed.sessionId));
    this.panels.set(sessionId, panel);
    this.panelArea.append(panel.element);
    this.changed();
  }
  close(sessionId) {
    this.panels.get(sessionId)?.close();
    this.panels.delete(sessionId);
    this.hideLimit();
    this.changed();
  }
  hideLimit() {
    this.limitNotice.hidden = true;
    this.notOpened = [];
  }
  /** Open the stream again with the new token in its URL, resuming: the panels stay. */
  renew() {
    this.stream.renew();
  }
  /** Follow the open sessions on the stream, and keep the page's link naming them. */
  changed() {
    this.stream.follow([...this.panels.keys()]);
    this.remember();
  }
  /** Keep the page's link naming the open sessions (`?session=a&session=b`). */
  remember() {
    const url = new URL(location.href);
    url.searchParams.delete("session");
    for (const id of this.panels.keys()) url.searchParams.append("session", id);
    history.replaceState(null, "", url);
  }
};
function statsRow(sessionId, stats, open) {
  const link = el("a", { href: `?session=${sessionId}`, "data-session": sessionId }, sessionId);
  link.addEventListener("click", (event) => {
    event.preventDefault();
    open(sessionId);
  });
  const cells = [stats.subscribers, stats.historySize, stats.published, stats.delivered, stats.overflowed];
  return el("tr", {}, el("td", {}, link), ...cells.map((n) => el("td", {}, String(n))));
}
function counted(count, noun) {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}
async function refreshStats(dashboard) {
  const error = find(document, "#sessions-error");
  try {
    const stats = await getJson("api/stats");
    const rows = Object.entries(stats.sessionStats).map(([id, s]) => statsRow(id, s, (opened) => dashboard.open(opened)));
    find(document, "#session-table tbody").replaceChildren(...rows);
    find(document, "#totals").textContent = `${counted(stats.sessions, "session")}, ${counted(stats.subscribers, "subscriber")}, ${stats.published} published, ${stats.delivered} delivered, ${stats.memoryUsageMb.toFixed(2)} MiB of history`;
    error.hidden = true;
  } catch (failure) {
    error.hidden = false;
    const unauthorized = failure instanceof ProblemError && failure.status === 401;
    error.textContent = !unauthorized ? String(failure) : token() ? `The hub refused the token (expired or invalid): enter another above. ${failure.message}` : "The hub needs a token: enter one above.";
  }
}
function start(dashboard) {
  for (const id of new URL(location.href).searchParams.getAll("session")) dashboard.open(id);
  void refreshStats(dashboard);
  setInterval(() => void refreshStats(dashboard), STATS_INTERVAL);
}
async function main() {
  const health = await getJson("healthz");
  find(document, "#hub").textContent = `auth ${health.auth}, ${health.backplane} backplane`;
  const [catalogue, sessionIds] = await Promise.all([loadCatalogue(), loadSessionIdRule()]);
  const dashboard = new Dashboard(catalogue, sessionIds, health.maxSessionsPerStream);
  const openForm = find(document, "#open-form");
  openForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const field2 = find(openForm, "#open-id");
    dashboard.open(field2.value.trim());
    field2.value = "";
  });
  if (health.auth === "disabled") return start(dashboard);
  const form = find(document, "#token-form");
  const field = find(form, "#token");
  let started = false;
  field.value = token();
  form.hidden = false;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    setToken(field.value.trim());
    if (!started) {
      started = true;
      return start(dashboard);
    }
    dashboard.renew();
    void refreshStats(dashboard);
  });
  if (token()) {
    started = true;
    return start(dashboard);
  }
  const waiting = find(document, "#sessions-error");
  waiting.hidden = false;
  waiting.textContent = "The hub needs a token: enter one above.";
}
void main();
