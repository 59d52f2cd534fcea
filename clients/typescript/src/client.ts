/**
 * A typed client of one Sluice stream (of one session, or of several: {@link sessionsUrl}), for browsers (and Node with an EventSource
 * implementation): connection states, reconnects with backoff that resume where the stream
 * left off, one listener per event type, and the polling fallback where EventSource is missing.
 */

import type {
  HistoryResponse,
  SessionsHistoryResponse,
  SluiceEvent,
  SluiceEventMap,
  StreamResetData,
} from "./sluice-events.js";

export type * from "./sluice-events.js";

/** Where the client stands: `error` once it has given up reconnecting. */
export type ConnectionState = "disconnected" | "connecting" | "connected" | "reconnecting" | "error";

/** Every event type the hub sends, in the order of `SluiceEventMap`. */
export const EVENT_TYPES = [
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
  "thought_process_step",
] as const satisfies readonly (keyof SluiceEventMap)[];

// Fails to compile when the protocol gains an event type this list lacks.
type Missing = Exclude<keyof SluiceEventMap, (typeof EVENT_TYPES)[number]>;
const everyTypeListed: [Missing] extends [never] ? true : Missing = true;
void everyTypeListed;

/**
 * What an event map gives for each type: the envelope of an event of that `type`, as
 * `JSON.parse` gives it from the SSE `data:` field.
 */
export interface EnvelopeLike<T extends string = string> {
  readonly type: T;
  readonly data: unknown;
  readonly id: string;
  readonly timestamp: string;
  readonly sessionId?: string;
}

/**
 * An event map `M`: each event type with its envelope. {@link SluiceEventMap} (the built-in
 * types) is one; a team's catalogue has its own, written with the built-in types by
 * `sluice schemas export DIR --typescript --event-schemas EVENTS` (`DIR/sluice-events.d.ts`
 * exports it as `SluiceEventMap`: import it under another name, `TeamEventMap` say).
 */
export type EventMapLike<M> = { [K in keyof M]: EnvelopeLike<K & string> };

/** Any event of the map `M`: the union of its envelopes (`SluiceEvent` for the built-in map). */
export type EventOf<M> = M[keyof M];

/** The parts of an EventSource the client uses (the browser's, or a polyfill's). */
export interface EventSourceLike {
  readonly readyState: number;
  onopen: ((event: Event) => unknown) | null;
  onerror: ((event: Event) => unknown) | null;
  addEventListener(type: string, listener: (event: MessageEvent<string>) => void): void;
  close(): void;
}

export type EventSourceFactory = new (url: string, init?: { withCredentials?: boolean }) => EventSourceLike;

export interface SluiceStreamOptions<M extends EventMapLike<M> = SluiceEventMap> {
  /** Reconnect when the stream drops or the server ends it (default true). */
  autoReconnect?: boolean;
  /** Failed attempts in a row before giving up in state `error` (default 5). */
  maxReconnectAttempts?: number;
  /** First reconnect delay in ms, doubled on each failed attempt (default 1000). */
  reconnectDelay?: number;
  /** Longest reconnect delay in ms (default 30000). */
  maxReconnectDelay?: number;
  /** Resume after this event id on the first connect (later ones resume after the last seen). */
  lastEventId?: string;
  /** Send cookies to another origin (EventSource's `withCredentials`). */
  withCredentials?: boolean;
  /** The EventSource to use (default: the global one); without one the client polls. */
  eventSource?: EventSourceFactory;
  /**
   * The polling fallback's URL (`/api/sessions/{id}/events`, or for a stream of several
   * sessions `sessionsUrl(ids, "/api/events")`): polled where there is no
   * EventSource, and once the stream has failed `maxReconnectAttempts` times in a row.
   */
  pollUrl?: string | (() => string);
  /**
   * How to start: `eventsource` (the default) or `polling` (poll `pollUrl` from the start, where
   * a proxy is known to break streams, say).
   */
  transport?: Transport;
  /** Milliseconds between polls (default 2000). */
  pollInterval?: number;
  /** Headers of each poll (a bearer token, say); streams carry the token in the URL or a cookie. */
  pollHeaders?: Record<string, string>;
  /**
   * Types of `M` beyond the built-in ones ({@link EVENT_TYPES}) to read from the stream for
   * `onEvent` (and the hook's `events`). An EventSource hands over only the types it is asked
   * for: the built-in ones and every type given to `on` are asked for anyway; polling reads
   * every type.
   */
  eventTypes?: readonly (keyof M & string)[];
}

type Listener<E> = (event: E) => void;

/** A URL, or a function called on every (re)connect so that each attempt can carry a fresh token. */
export type StreamUrl = string | (() => string);

/** How events arrive: a stream, or polling (no EventSource, or the stream kept failing). */
export type Transport = "eventsource" | "polling";

/** What a stream reports on every change (see {@link SluiceStream.onChange}). */
export interface StreamStatus {
  readonly state: ConnectionState;
  /** Failed attempts since the last successful connect: 1, 2, 3... as they are scheduled. */
  readonly reconnectAttempt: number;
  /** The id of the last stored event received: where a reconnect resumes. */
  readonly lastEventId: string | undefined;
  readonly transport: Transport;
  /** What went wrong last, if anything. */
  readonly error: string | undefined;
}

type Defaulted = "autoReconnect" | "maxReconnectAttempts" | "reconnectDelay" | "maxReconnectDelay" | "pollInterval";
type ResolvedOptions<M extends EventMapLike<M>> = Required<Pick<SluiceStreamOptions<M>, Defaulted>> &
  SluiceStreamOptions<M>;

function withDefaults<M extends EventMapLike<M>>(options: SluiceStreamOptions<M>): ResolvedOptions<M> {
  return {
    autoReconnect: true,
    maxReconnectAttempts: 5,
    reconnectDelay: 1000,
    maxReconnectDelay: 30000,
    pollInterval: 2000,
    ...options,
  };
}

/** `url` with the query parameter `name` set, kept relative when it was relative. */
function withParameter(url: string, name: string, value: string): string {
  const target = new URL(url, "http://relative.invalid");
  target.searchParams.set(name, value);
  return /^[a-z][a-z0-9+.-]*:/i.test(url) ? target.toString() : target.pathname + target.search;
}

/**
 * Origin, path and `session` parameters of `url`: two URLs with the same ones name the same
 * stream (a stream of other sessions is another stream, even when they overlap).
 */
function streamOf(url: string): string {
  const target = new URL(url, "http://relative.invalid");
  return [target.origin + target.pathname, ...target.searchParams.getAll("session")].join("\n");
}

/**
 * The URL of one stream of several sessions: `path` (`/sse` by default, or an absolute
 * `https://hub.example/sse`) with one `session` parameter per id, in order. Every event on it
 * names its session in `sessionId`, and one `lastEventId` resumes them all. With
 * `/api/events` as `path` it is the matching `pollUrl`. The server takes at most
 * `--max-sessions-per-stream` (16 by default); a list of one is that session's stream.
 */
export function sessionsUrl(sessionIds: readonly string[], path = "/sse"): string {
  const query = new URLSearchParams(sessionIds.map((id) => ["session", id]));
  return `${path}${path.includes("?") ? "&" : "?"}${query.toString()}`;
}

/**
 * What went wrong, from an EventSource's `error` event: a browser's says nothing, Node's
 * `eventsource` package says why in `message` (`Non-200 status code (401)`, `fetch failed`).
 */
function interruption(event: Event): string {
  const { message } = event as { message?: unknown };
  return typeof message === "string" && message !== "" ? `the stream was interrupted: ${message}` : "the stream was interrupted";
}

/** Each session that a polled page says must refetch its state, with why. */
type ResetReason = StreamResetData["reason"];

function resetsOf(page: HistoryResponse | SessionsHistoryResponse): [string, ResetReason][] {
  if ("resets" in page) return Object.entries(page.resets);
  return page.reset && page.resetReason !== null ? [[page.sessionId, page.resetReason]] : [];
}

/**
 * One stream: of one session, or of several ({@link sessionsUrl}). Listeners (`on`, `onEvent`, `onState`, `onChange`) may be added at any
 * time, before `connect()` too, and stay across reconnects and URL changes until removed.
 *
 * `M` is the event map that types the listeners: the built-in {@link SluiceEventMap} by
 * default, or a team's (`new SluiceStream<TeamEventMap>(url)`, see {@link EventMapLike}), with
 * which `on("invoice_paid", (e) => e.data.amount)` compiles and an unknown type or field does not.
 */
export class SluiceStream<M extends EventMapLike<M> = SluiceEventMap> {
  private status: StreamStatus;
  private url: StreamUrl;
  private options: ResolvedOptions<M>;
  private source: EventSourceLike | undefined;
  /** The types the current EventSource has been asked for. */
  private readonly heard = new Set<string>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** The poll in flight: aborted when the client closes, so that its answer is not read. */
  private polling: AbortController | undefined;
  private wanted = false;
  private readonly listeners = new Map<string, Set<Listener<never>>>();
  private readonly anyListeners = new Set<Listener<EventOf<M>>>();
  private readonly stateListeners = new Set<Listener<ConnectionState>>();
  private readonly changeListeners = new Set<Listener<StreamStatus>>();

  constructor(url: StreamUrl, options: SluiceStreamOptions<M> = {}) {
    this.url = url;
    this.options = withDefaults(options);
    this.status = {
      state: "disconnected",
      reconnectAttempt: 0,
      lastEventId: options.lastEventId,
      transport: options.transport ?? "eventsource",
      error: undefined,
    };
  }

  get state(): ConnectionState {
    return this.status.state;
  }

  get lastEventId(): string | undefined {
    return this.status.lastEventId;
  }

  get reconnectAttempt(): number {
    return this.status.reconnectAttempt;
  }

  get transport(): Transport {
    return this.status.transport;
  }

  get error(): string | undefined {
    return this.status.error;
  }

  /** Everything {@link onChange} reports, as it stands now. */
  snapshot(): StreamStatus {
    return this.status;
  }

  /**
   * Call `listener` with every event of `type` (a type of `M`; an open stream starts reading a
   * type it was not reading); returns the function that removes it.
   */
  on<K extends keyof M & string>(type: K, listener: Listener<M[K]>): () => void {
    let set = this.listeners.get(type);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(type, set);
    }
    const entry = listener as Listener<never>;
    set.add(entry);
    if (this.source !== undefined) this.hear(this.source, type);
    return () => void set.delete(entry);
  }

  /**
   * Call `listener` with every event (from an EventSource, of the types it reads: the built-in
   * ones, `eventTypes` and those given to `on`); returns the function that removes it.
   */
  onEvent(listener: Listener<EventOf<M>>): () => void {
    this.anyListeners.add(listener);
    return () => void this.anyListeners.delete(listener);
  }

  /** Call `listener` on every change of `state`; returns the function that removes it. */
  onState(listener: Listener<ConnectionState>): () => void {
    this.stateListeners.add(listener);
    return () => void this.stateListeners.delete(listener);
  }

  /**
   * Call `listener` whenever the state, `reconnectAttempt`, `lastEventId`, `transport` or
   * `error` changes (each retry counts); returns the function that removes it.
   */
  onChange(listener: Listener<StreamStatus>): () => void {
    this.changeListeners.add(listener);
    return () => void this.changeListeners.delete(listener);
  }

  /**
   * Use `url` from now on. A string that differs from the current one reconnects at once when
   * connected, resuming after the last event when it names the same stream (only its query
   * changed, a new token say) and starting afresh otherwise. A function never reconnects by
   * itself: it is called on the next attempt.
   */
  setUrl(url: StreamUrl): void {
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
  configure(options: SluiceStreamOptions<M>): void {
    this.options = withDefaults(options);
  }

  /** Open the stream (or start polling); does nothing when already open. */
  connect(): void {
    if (this.wanted) return;
    this.wanted = true;
    this.update({ reconnectAttempt: 0, transport: this.options.transport ?? "eventsource" });
    this.open("connecting");
  }

  /** Close the stream and stop reconnecting. */
  disconnect(): void {
    this.wanted = false;
    this.close();
    this.update({ state: "disconnected" });
  }

  /** Close and open again at once (after `error` too), resuming after the last event. */
  reconnect(): void {
    this.disconnect();
    this.connect();
  }

  private currentUrl(): string {
    return typeof this.url === "function" ? this.url() : this.url;
  }

  private open(state: "connecting" | "reconnecting"): void {
    this.update({ state });
    const factory = this.options.eventSource ?? (globalThis as { EventSource?: EventSourceFactory }).EventSource;
    if (factory === undefined || this.status.transport === "polling") {
      this.update({ transport: "polling" });
      this.poll();
      return;
    }
    const resume = this.status.lastEventId;
    const url = this.currentUrl();
    const source = new factory(resume === undefined ? url : withParameter(url, "lastEventId", resume), {
      withCredentials: this.options.withCredentials ?? false,
    });
    this.source = source;
    source.onopen = () => {
      if (this.source === source) this.update({ state: "connected", reconnectAttempt: 0, error: undefined });
    };
    source.onerror = (event) => {
      if (this.source !== source) return;
      this.close();
      this.retry(interruption(event));
    };
    this.heard.clear();
    for (const type of [...EVENT_TYPES, ...(this.options.eventTypes ?? []), ...this.listeners.keys()]) {
      this.hear(source, type);
    }
  }

  /** Ask `source` for the events of `type`, once. */
  private hear(source: EventSourceLike, type: string): void {
    if (this.heard.has(type)) return;
    this.heard.add(type);
    source.addEventListener(type, (message) => {
      if (this.source === source) this.dispatch(JSON.parse(message.data) as EnvelopeLike);
    });
  }

  private dispatch(event: EnvelopeLike): void {
    if (event.id) this.update({ lastEventId: event.id });
    for (const listener of this.listeners.get(event.type) ?? []) (listener as Listener<EnvelopeLike>)(event);
    for (const listener of this.anyListeners) listener(event as EventOf<M>);
  }

  private retry(reason: string): void {
    this.update({ error: reason });
    if (!this.wanted || !this.options.autoReconnect) {
      this.wanted = false;
      this.update({ state: "disconnected" });
      return;
    }
    const attempt = this.status.reconnectAttempt;
    if (attempt >= this.options.maxReconnectAttempts) {
      if (this.status.transport === "eventsource" && this.options.pollUrl !== undefined) {
        this.update({ transport: "polling", reconnectAttempt: 0 }); // the stream keeps failing
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
      this.timer = undefined;
      if (this.wanted) this.open("reconnecting");
    }, delay);
  }

  private poll(): void {
    const pollUrl = this.options.pollUrl;
    if (pollUrl === undefined) {
      this.wanted = false;
      this.update({ state: "error", error: "no EventSource here and no pollUrl to fall back on" });
      return;
    }
    const base = typeof pollUrl === "function" ? pollUrl() : pollUrl;
    const after = this.status.lastEventId;
    const target = after === undefined ? base : withParameter(base, "after", after);
    // A poll of a closed connection (disconnect, reconnect, a new URL) is aborted and its answer
    // ignored: read, it would deliver its events again beside the new poll and start a second
    // polling loop.
    const polling = new AbortController();
    this.polling = polling;
    const signal = polling.signal;
    fetch(target, { headers: this.options.pollHeaders ?? {}, credentials: "include", signal })
      .then(async (response) => {
        if (!response.ok) throw new Error(`polling answered ${response.status}`);
        return (await response.json()) as HistoryResponse | SessionsHistoryResponse;
      })
      .then((page) => {
        if (signal.aborted) return;
        this.polling = undefined;
        this.update({ state: "connected", reconnectAttempt: 0, error: undefined });
        for (const [sessionId, reason] of resetsOf(page)) this.dispatch(this.resetEvent(sessionId, reason, page));
        for (const event of page.events) this.dispatch(event);
        // The page's lastEventId is the next poll's `after`: the one sent when the page is
        // empty, null to read from the start (a reset page without events: the `after` sent
        // would be reset again on every poll).
        this.update({ lastEventId: page.lastEventId ?? undefined });
        this.timer = setTimeout(() => {
          this.timer = undefined;
          if (this.wanted) this.poll();
        }, this.options.pollInterval);
      })
      .catch((error: unknown) => {
        if (signal.aborted) return;
        this.polling = undefined;
        this.retry(String(error));
      });
  }

  /** The `stream_reset` a stream would have sent, for a history page that says `reset`. */
  private resetEvent(
    sessionId: string,
    reason: ResetReason,
    page: HistoryResponse | SessionsHistoryResponse,
  ): SluiceEvent {
    const now = new Date().toISOString();
    const after = this.status.lastEventId;
    return {
      ...("resets" in page ? { sessionId } : {}), // as a stream of several sessions names it
      type: "stream_reset",
      id: "",
      timestamp: now,
      data: {
        reason,
        sessionId,
        timestamp: now,
        ...(after === undefined ? {} : { lastEventId: after }),
      },
    };
  }

  private close(): void {
    this.source?.close();
    this.source = undefined;
    this.polling?.abort();
    this.polling = undefined;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private update(patch: Partial<StreamStatus>): void {
    const before = this.status;
    const after = { ...before, ...patch };
    const changed = (Object.keys(patch) as (keyof StreamStatus)[]).some((key) => before[key] !== after[key]);
    if (!changed) return;
    this.status = after;
    if (after.state !== before.state) for (const listener of this.stateListeners) listener(after.state);
    for (const listener of this.changeListeners) listener(after);
  }
}
