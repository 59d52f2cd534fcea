/**
 * The React hook of the guide: one Sluice stream for a component, with its state, its events
 * and the controls to connect, disconnect and reconnect.
 */

import { useCallback, useEffect, useRef, useState } from "react";

import { SluiceStream } from "./client.js";
import type {
  ConnectionState,
  EventMapLike,
  EventOf,
  SluiceEventMap,
  SluiceStreamOptions,
  StreamStatus,
  StreamUrl,
  Transport,
} from "./client.js";

export interface UseSSEOptions<M extends EventMapLike<M> = SluiceEventMap> extends SluiceStreamOptions<M> {
  /** Connect while true (default true). */
  enabled?: boolean;
  /** How many of the latest events `events` keeps (default 100). */
  maxEvents?: number;
}

/** What {@link useSSE} gives, its events typed by the event map `M`. */
export interface UseSSEResult<M extends EventMapLike<M> = SluiceEventMap> {
  connectionState: ConnectionState;
  isConnected: boolean;
  lastEvent: EventOf<M> | null;
  /** The latest `maxEvents` events, oldest first. */
  events: EventOf<M>[];
  error: string | undefined;
  /** Failed attempts since the last successful connect (1, 2, 3... as they are scheduled). */
  reconnectAttempt: number;
  /** The id of the last stored event received: where a reconnect resumes. */
  lastEventId: string | undefined;
  /** How events arrive: a stream, or polling (see `SluiceStreamOptions.pollUrl`). */
  transport: Transport;
  connect: () => void;
  disconnect: () => void;
  reconnect: () => void;
  /**
   * Listen to one event type; returns the function that stops listening. Stable across
   * renders; a listener added before the stream opens, or kept across reconnects and URL
   * changes, hears every event until removed.
   */
  addEventListener: <K extends keyof M & string>(type: K, listener: (event: M[K]) => void) => () => void;
}

/**
 * Read the stream at `url`; `null` reads nothing. The URL and the options are held, not
 * watched: an inline function (a fresh token on every attempt) or an inline options object
 * never reconnects; the latest ones are used on the next attempt. A changed URL *string*
 * reconnects at once, resuming after the last event when it names the same stream. The stream
 * opens on mount (while `enabled`) and closes on unmount.
 *
 * `M` is the event map that types the events and listeners: the built-in `SluiceEventMap` by
 * default, or a team's (`useSSE<TeamEventMap>(url)`, see `EventMapLike`).
 */
export function useSSE<M extends EventMapLike<M> = SluiceEventMap>(
  url: StreamUrl | null,
  options: UseSSEOptions<NoInfer<M>> = {},
): UseSSEResult<M> {
  const { enabled = true, maxEvents = 100, ...streamOptions } = options;
  const streamRef = useRef<SluiceStream<M> | null>(null);
  streamRef.current ??= new SluiceStream<M>(url ?? "", streamOptions);
  const stream = streamRef.current;
  const maxEventsRef = useRef(maxEvents);
  maxEventsRef.current = maxEvents;
  const [status, setStatus] = useState<StreamStatus>(() => stream.snapshot());
  const [lastEvent, setLastEvent] = useState<EventOf<M> | null>(null);
  const [events, setEvents] = useState<EventOf<M>[]>([]);

  useEffect(() => {
    const stops = [
      stream.onChange(setStatus),
      stream.onEvent((event) => {
        setLastEvent(event);
        setEvents((previous) => [...previous, event].slice(-maxEventsRef.current));
      }),
    ];
    return () => {
      for (const stop of stops) stop();
    };
  }, [stream]);

  useEffect(() => {
    stream.configure(streamOptions);
    if (url !== null) stream.setUrl(url);
  });

  const active = url !== null && enabled;
  useEffect(() => {
    if (!active) return undefined;
    stream.connect();
    return () => stream.disconnect();
  }, [stream, active]);

  const connect = useCallback(() => stream.connect(), [stream]);
  const disconnect = useCallback(() => stream.disconnect(), [stream]);
  const reconnect = useCallback(() => stream.reconnect(), [stream]);
  const addEventListener = useCallback(
    <K extends keyof M & string>(type: K, listener: (event: M[K]) => void) => stream.on(type, listener),
    [stream],
  );

  return {
    connectionState: status.state,
    isConnected: status.state === "connected",
    lastEvent,
    events,
    error: status.error,
    reconnectAttempt: status.reconnectAttempt,
    lastEventId: status.lastEventId,
    transport: status.transport,
    connect,
    disconnect,
    reconnect,
    addEventListener,
  };
}
