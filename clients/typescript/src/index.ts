export { EVENT_TYPES, SluiceStream } from "./client.js";
export type {
  ConnectionState,
  EventSourceFactory,
  EventSourceLike,
  SluiceEvent,
  SluiceEventMap,
  SluiceStreamOptions,
} from "./client.js";
export { useSSE } from "./useSSE.js";
export type { UseSSEOptions, UseSSEResult } from "./useSSE.js";
