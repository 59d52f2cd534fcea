/**
 * A typed client of one Sluice stream, for browsers (and Node with an EventSource
 * implementation): connection states, reconnects with backoff that resume where the stream
 * left off, one listener per event type, and the polling fallback where EventSource is missing.
 */

import type { HistoryResponse, SluiceEvent, SluiceEventMap } from "./sluice-events.js";

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

/** The parts of an EventSource the client uses (the browser's, or a polyfill's). */
export interface EventSourceLike {
  readonly readyState: number;
  onopen: ((event: Event) => unknown) | null;
  onerror: ((event: Event) => unknown) | null;
  addEventListener(type: string, listener: (event: MessageEvent<string>) => void): void;
  close(): void;
}

export type EventSourceFactory = new (url: string, init?: { withCredentials?: boolean }) => EventSourceLike;

export interface SluiceStreamOptions {
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
   * The polling fallback's URL (`/api/sessions/{id}/events`): polled where there is no
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
type ResolvedOptions = Required<Pick<SluiceStreamOptions, Defaulted>> & SluiceStreamOptions;

function withDefaults(options: SluiceStreamOptions): ResolvedOptions {
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

/** Origin and path of `url`: two URLs with the same one name the same stream. */
function streamOf(url: string): string {
  const target = new URL(url, "http://relative.invalid");
  return target.origin + target.pathname;
}

/**
 * One session's stream. Listeners (`on`, `onEvent`, `onState`, `onChange`) may be added at any
 * time, before `connect()` too, and stay across reconnects and URL changes until removed.
 */
export class SluiceStream {
  private status: StreamStatus;
  private url: StreamUrl;
  private options: ResolvedOptions;
  private source: EventSourceLike | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private wanted = false;
  private readonly listeners = new Map<string, Set<Listener<never>>>();
  private readonly anyListeners = new Set<Listener<SluiceEvent>>();
  private readonly stateListeners = new Set<Listener<ConnectionState>>();
  private readonly changeListeners = new Set<Listener<StreamStatus>>();

  constructor(url: StreamUrl, options: SluiceStreamOptions = {}) {
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

  /** Call `listener` with every event of `type`; returns the function that removes it. */
  on<K extends keyof SluiceEventMap>(type: K, listener: Listener<SluiceEventMap[K]>): () => void {
    let set = this.listeners.get(type);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(type, set);
    }
    const entry = listener as Listener<never>;
    set.add(entry);
    return () => void set.delete(entry);
  }

  /** Call `listener` with every event; returns the function that removes it. */
  onEvent(listener: Listener<SluiceEvent>): () => void {
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
  configure(options: SluiceStreamOptions): void {
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
    source.onerror = () => {
      if (this.source !== source) return;
      this.close();
      this.retry("the stream was interrupted");
    };
    for (const type of EVENT_TYPES) {
      source.addEventListener(type, (message) => {
        if (this.source === source) this.dispatch(JSON.parse(message.data) as SluiceEvent);
      });
    }
  }

  private dispatch(event: SluiceEvent): void {
    if (event.id) this.update({ lastEventId: event.id });
    for (const listener of this.listeners.get(event.type) ?? []) (listener as Listener<SluiceEvent>)(event);
    for (const listener of this.anyListeners) listener(event);
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
    fetch(target, { headers: this.options.pollHeaders ?? {}, credentials: "include" })
      .then(async (response) => {
        if (!response.ok) throw new Error(`polling answered ${response.status}`);
        return (await response.json()) as HistoryResponse;
      })
      .then((page) => {
        if (!this.wanted) return;
        this.update({ state: "connected", reconnectAttempt: 0, error: undefined });
        if (page.reset && page.resetReason !== null) this.dispatch(this.resetEvent(page.sessionId, page.resetReason));
        for (const event of page.events) this.dispatch(event);
        if (page.lastEventId !== null) this.update({ lastEventId: page.lastEventId });
        this.timer = setTimeout(() => {
          this.timer = undefined;
          if (this.wanted) this.poll();
        }, this.options.pollInterval);
      })
      .catch((error: unknown) => {
        if (this.wanted) this.retry(String(error));
      });
  }

  /** The `stream_reset` a stream would have sent, for a history page that says `reset`. */
  private resetEvent(sessionId: string, reason: NonNullable<HistoryResponse["resetReason"]>): SluiceEvent {
    const now = new Date().toISOString();
    const after = this.status.lastEventId;
    return {
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
