/**
 * A typed client of one Sluice stream, for browsers (and Node with an EventSource
 * implementation): connection states, reconnects with backoff that resume where the stream
 * left off, one listener per event type, and the polling fallback where EventSource is missing.
 */

import type { HistoryResponse, SluiceEvent, SluiceEventMap } from "./sluice-events.js";

export type { SluiceEvent, SluiceEventMap } from "./sluice-events.js";

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
  /** Milliseconds between polls (default 2000). */
  pollInterval?: number;
  /** Headers of each poll (a bearer token, say); streams carry the token in the URL or a cookie. */
  pollHeaders?: Record<string, string>;
}

type Listener<E> = (event: E) => void;

/**
 * One session's stream. `url` may be a function, called on every (re)connect, so that each
 * attempt can carry a fresh token (`?access_token=`).
 */
export class SluiceStream {
  state: ConnectionState = "disconnected";
  /** The id of the last stored event received: where a reconnect resumes. */
  lastEventId: string | undefined;
  /** Failed attempts since the last successful connect. */
  reconnectAttempt = 0;
  /** How events arrive: a stream, or polling (no EventSource, or the stream kept failing). */
  transport: "eventsource" | "polling" = "eventsource";
  /** What went wrong last, if anything. */
  error: string | undefined;

  private readonly url: () => string;
  private readonly options: Required<
    Pick<SluiceStreamOptions, "autoReconnect" | "maxReconnectAttempts" | "reconnectDelay" | "maxReconnectDelay" | "pollInterval">
  > &
    SluiceStreamOptions;
  private source: EventSourceLike | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private wanted = false;
  private readonly listeners = new Map<string, Set<Listener<never>>>();
  private readonly anyListeners = new Set<Listener<SluiceEvent>>();
  private readonly stateListeners = new Set<Listener<ConnectionState>>();

  constructor(url: string | (() => string), options: SluiceStreamOptions = {}) {
    this.url = typeof url === "function" ? url : () => url;
    this.options = {
      autoReconnect: true,
      maxReconnectAttempts: 5,
      reconnectDelay: 1000,
      maxReconnectDelay: 30000,
      pollInterval: 2000,
      ...options,
    };
    this.lastEventId = options.lastEventId;
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

  /** Open the stream (or start polling); does nothing when already open. */
  connect(): void {
    if (this.wanted) return;
    this.wanted = true;
    this.reconnectAttempt = 0;
    this.transport = "eventsource";
    this.open("connecting");
  }

  /** Close the stream and stop reconnecting. */
  disconnect(): void {
    this.wanted = false;
    this.close();
    this.setState("disconnected");
  }

  /** Close and open again at once (after `error` too), resuming after the last event. */
  reconnect(): void {
    this.disconnect();
    this.connect();
  }

  private open(state: "connecting" | "reconnecting"): void {
    this.setState(state);
    const factory = this.options.eventSource ?? (globalThis as { EventSource?: EventSourceFactory }).EventSource;
    if (factory === undefined || this.transport === "polling") {
      this.transport = "polling";
      this.poll();
      return;
    }
    const source = new factory(this.withResumePoint(this.url()), {
      withCredentials: this.options.withCredentials ?? false,
    });
    this.source = source;
    source.onopen = () => {
      this.reconnectAttempt = 0;
      this.error = undefined;
      this.setState("connected");
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

  private withResumePoint(url: string): string {
    if (this.lastEventId === undefined) return url;
    const resumed = new URL(url, "http://relative.invalid");
    resumed.searchParams.set("lastEventId", this.lastEventId);
    return url.startsWith("http") ? resumed.toString() : resumed.pathname + resumed.search;
  }

  private dispatch(event: SluiceEvent): void {
    if (event.id) this.lastEventId = event.id;
    for (const listener of this.listeners.get(event.type) ?? []) (listener as Listener<SluiceEvent>)(event);
    for (const listener of this.anyListeners) listener(event);
  }

  private retry(reason: string): void {
    this.error = reason;
    if (!this.wanted || !this.options.autoReconnect) {
      this.wanted = false;
      this.setState("disconnected");
      return;
    }
    if (this.reconnectAttempt >= this.options.maxReconnectAttempts) {
      if (this.transport === "eventsource" && this.options.pollUrl !== undefined) {
        this.transport = "polling"; // the stream keeps failing: fall back on polling
        this.reconnectAttempt = 0;
        this.open("reconnecting");
        return;
      }
      this.wanted = false;
      this.setState("error");
      return;
    }
    const delay = Math.min(this.options.reconnectDelay * 2 ** this.reconnectAttempt, this.options.maxReconnectDelay);
    this.reconnectAttempt += 1;
    this.setState("reconnecting");
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.wanted) this.open("reconnecting");
    }, delay);
  }

  private poll(): void {
    const pollUrl = this.options.pollUrl;
    if (pollUrl === undefined) {
      this.wanted = false;
      this.error = "no EventSource here and no pollUrl to fall back on";
      this.setState("error");
      return;
    }
    const base = typeof pollUrl === "function" ? pollUrl() : pollUrl;
    const url = new URL(base, "http://relative.invalid");
    if (this.lastEventId !== undefined) url.searchParams.set("after", this.lastEventId);
    const target = base.startsWith("http") ? url.toString() : url.pathname + url.search;
    fetch(target, { headers: this.options.pollHeaders ?? {}, credentials: "include" })
      .then(async (response) => {
        if (!response.ok) throw new Error(`polling answered ${response.status}`);
        return (await response.json()) as HistoryResponse;
      })
      .then((page) => {
        if (!this.wanted) return;
        this.reconnectAttempt = 0;
        this.error = undefined;
        this.setState("connected");
        if (page.reset && page.resetReason !== null) {
          this.dispatch({
            type: "stream_reset",
            id: "",
            timestamp: new Date().toISOString(),
            data: {
              reason: page.resetReason,
              sessionId: page.sessionId,
              timestamp: new Date().toISOString(),
              ...(this.lastEventId === undefined ? {} : { lastEventId: this.lastEventId }),
            },
          });
        }
        for (const event of page.events) this.dispatch(event);
        if (page.lastEventId !== null) this.lastEventId = page.lastEventId;
        this.timer = setTimeout(() => {
          this.timer = undefined;
          if (this.wanted) this.poll();
        }, this.options.pollInterval);
      })
      .catch((error: unknown) => {
        if (this.wanted) this.retry(String(error));
      });
  }

  private close(): void {
    this.source?.close();
    this.source = undefined;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private setState(state: ConnectionState): void {
    if (this.state === state) return;
    this.state = state;
    for (const listener of this.stateListeners) listener(state);
  }
}
