/**
 * The one stream of every open session (`/sse?session=a&session=b`, one connection however many
 * panels are open), each event routed to its session by the envelope's `sessionId`.
 *
 * A change of the open sessions is another stream (another URL). It resumes after the last event
 * that arrived for a session it keeps, so the kept sessions neither miss nor repeat an event: the
 * hub's ids share one sequence, and a kept session had no event between its own last one and
 * the last event of the old stream. A session the new stream adds gets, from that id, only its
 * events published after it, so its earlier history is read apart ({@link readHistory}) and shown
 * before them. A new list with nothing to resume after (no event has arrived for any session
 * kept) starts afresh: every session's whole history comes on the stream.
 */

import { SluiceStream } from "../src/client.js";
import type { EnvelopeLike, HistoryResponse, SluiceEvent, StreamStatus } from "../src/client.js";
import { authHeaders, getJson, pollUrl, streamUrl } from "./api.js";

/** What the stream tells the page. */
export interface StreamListener {
  /** An event of `sessionId`, or of the whole stream (`keepalive`, `stream_overflow`) when undefined. */
  event(sessionId: string | undefined, event: SluiceEvent): void;
  /** The stream's state, on every change. */
  status(status: StreamStatus): void;
  /** Sessions added to a resuming stream: their events before the resume point are theirs to read. */
  joined(sessionIds: string[]): void;
  /** Why the hub refuses the stream (a `403` naming a session, say), or undefined once it is taken. */
  refused(reason: string | undefined): void;
}

/** The most events one history read asks for (the hub's largest page). */
const PAGE = 1000;

/** The whole history `sessionId` holds now, oldest first (read page by page). */
export async function readHistory(sessionId: string): Promise<SluiceEvent[]> {
  const events: SluiceEvent[] = [];
  let after: string | null = null;
  for (;;) {
    const query: string = after === null ? `limit=${PAGE}` : `limit=${PAGE}&after=${encodeURIComponent(after)}`;
    const page: HistoryResponse = await getJson<HistoryResponse>(`api/sessions/${sessionId}/events?${query}`);
    events.push(...page.events);
    if (page.events.length < PAGE || page.lastEventId === null) return events;
    after = page.lastEventId;
  }
}

/** Why the hub refuses a GET of `url`: its problem document's detail, or undefined when it answers 200. */
async function refusal(url: string): Promise<string | undefined> {
  const abort = new AbortController();
  try {
    const response = await fetch(url, { signal: abort.signal, headers: { Accept: "text/event-stream" } });
    if (response.ok) return undefined;
    const problem = ((await response.json().catch(() => null)) ?? {}) as { detail?: string; title?: string };
    return `the hub refuses the stream (${response.status}): ${problem.detail ?? problem.title ?? response.statusText}`;
  } catch {
    return undefined; // the hub is unreachable: the state says so
  } finally {
    abort.abort();
  }
}

/** The hub's event map, known only at run time: the built-in types and a team's own. */
type HubEvents = Record<string, EnvelopeLike>;

export class SessionsStream {
  private wanted: string[] = [];
  private scheduled = false;
  private stream: SluiceStream<HubEvents> | undefined;
  /** The sessions of `stream`, in the order of its URL. */
  private following: string[] = [];
  /** Each followed session's last event id, with its place in the order of arrival. */
  private readonly latest = new Map<string, { id: string; arrival: number }>();
  private arrivals = 0;

  /** `eventTypes`: every type of the hub's catalogue, a team's own too, read from the stream. */
  constructor(
    private readonly listener: StreamListener,
    private readonly eventTypes: readonly string[],
  ) {}

  /**
   * Follow `sessionIds` (in this order) from now on. Calls in the same task open one stream,
   * after the task: opening eight panels opens one connection.
   */
  follow(sessionIds: readonly string[]): void {
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
  renew(): void {
    this.open();
  }

  private open(): void {
    const sessionIds = this.wanted;
    const resume = this.resumePoint(sessionIds);
    const added = sessionIds.filter((id) => !this.following.includes(id));
    for (const id of this.latest.keys()) if (!sessionIds.includes(id)) this.latest.delete(id);
    const old = this.stream;
    this.stream = undefined;
    old?.disconnect();
    this.following = sessionIds;
    if (resume !== undefined && added.length) this.listener.joined(added);
    if (sessionIds.length === 0) return;
    const stream = new SluiceStream<HubEvents>(() => streamUrl(sessionIds), {
      ...(resume === undefined ? {} : { lastEventId: resume }),
      maxReconnectAttempts: 1000,
      reconnectDelay: 500,
      maxReconnectDelay: 4000,
      pollUrl: pollUrl(sessionIds),
      pollHeaders: authHeaders(),
      eventTypes: [...this.eventTypes], // the hub's own types are read as the built-in ones
    });
    this.stream = stream;
    stream.onChange((status) => {
      if (this.stream !== stream) return;
      this.listener.status(status);
      if (status.state === "connected") this.listener.refused(undefined);
      if (status.state === "reconnecting" && status.reconnectAttempt === 1) {
        void refusal(streamUrl(sessionIds)).then((reason) => {
          if (this.stream === stream && reason !== undefined) this.listener.refused(reason);
        });
      }
    });
    stream.onEvent((event) => {
      // a list of one is that session's stream: its envelopes do not name it
      const sessionId = event.sessionId ?? (sessionIds.length === 1 ? sessionIds[0] : undefined);
      if (sessionId !== undefined && event.id) this.latest.set(sessionId, { id: event.id, arrival: this.arrivals++ });
      this.listener.event(sessionId, event as SluiceEvent); // a team's types fall through to the default
    });
    stream.connect();
  }

  /** The last event id that arrived for one of `kept` (the latest of them), if any did. */
  private resumePoint(kept: readonly string[]): string | undefined {
    let found: { id: string; arrival: number } | undefined;
    for (const id of kept) {
      const last = this.latest.get(id);
      if (last !== undefined && (found === undefined || last.arrival > found.arrival)) found = last;
    }
    return found?.id;
  }
}
