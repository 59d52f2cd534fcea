/**
 * The React hook of the guide: one Sluice stream for a component, with its state, its events
 * and the controls to connect, disconnect and reconnect.
 */

import { useCallback, useEffect, useRef, useState } from "react";

import { SluiceStream } from "./client.js";
import type { ConnectionState, SluiceEvent, SluiceEventMap, SluiceStreamOptions } from "./client.js";

export interface UseSSEOptions extends SluiceStreamOptions {
  /** Connect while true (default true). */
  enabled?: boolean;
  /** How many of the latest events `events` keeps (default 100). */
  maxEvents?: number;
}

export interface UseSSEResult {
  connectionState: ConnectionState;
  isConnected: boolean;
  lastEvent: SluiceEvent | null;
  /** The latest `maxEvents` events, oldest first. */
  events: SluiceEvent[];
  error: string | undefined;
  reconnectAttempt: number;
  /** How events arrive: a stream, or polling (see `SluiceStreamOptions.pollUrl`). */
  transport: "eventsource" | "polling";
  connect: () => void;
  disconnect: () => void;
  reconnect: () => void;
  /** Listen to one event type; returns the function that stops listening. */
  addEventListener: <K extends keyof SluiceEventMap>(
    type: K,
    listener: (event: SluiceEventMap[K]) => void,
  ) => () => void;
}

/**
 * Read the stream at `url` (a function gives each attempt a fresh URL, with a fresh token);
 * `null` reads nothing. The stream is opened when `url` or `enabled` change, and closed on
 * unmount.
 */
export function useSSE(url: string | (() => string) | null, options: UseSSEOptions = {}): UseSSEResult {
  const { enabled = true, maxEvents = 100, ...streamOptions } = options;
  const stream = useRef<SluiceStream | null>(null);
  const optionsRef = useRef(streamOptions);
  optionsRef.current = streamOptions;
  const [connectionState, setConnectionState] = useState<ConnectionState>("disconnected");
  const [lastEvent, setLastEvent] = useState<SluiceEvent | null>(null);
  const [events, setEvents] = useState<SluiceEvent[]>([]);
  const [error, setError] = useState<string | undefined>(undefined);
  const [reconnectAttempt, setReconnectAttempt] = useState(0);
  const [transport, setTransport] = useState<"eventsource" | "polling">("eventsource");

  useEffect(() => {
    if (url === null || !enabled) return undefined;
    const current = new SluiceStream(url, optionsRef.current);
    stream.current = current;
    const stops = [
      current.onState((state) => {
        setConnectionState(state);
        setError(current.error);
        setReconnectAttempt(current.reconnectAttempt);
        setTransport(current.transport);
      }),
      current.onEvent((event) => {
        setLastEvent(event);
        setEvents((previous) => [...previous, event].slice(-maxEvents));
      }),
    ];
    current.connect();
    return () => {
      for (const stop of stops) stop();
      current.disconnect();
      if (stream.current === current) stream.current = null;
    };
  }, [url, enabled, maxEvents]);

  const connect = useCallback(() => stream.current?.connect(), []);
  const disconnect = useCallback(() => stream.current?.disconnect(), []);
  const reconnect = useCallback(() => stream.current?.reconnect(), []);
  const addEventListener = useCallback(
    <K extends keyof SluiceEventMap>(type: K, listener: (event: SluiceEventMap[K]) => void) =>
      stream.current?.on(type, listener) ?? (() => undefined),
    [],
  );

  return {
    connectionState,
    isConnected: connectionState === "connected",
    lastEvent,
    events,
    error,
    reconnectAttempt,
    transport,
    connect,
    disconnect,
    reconnect,
    addEventListener,
  };
}
