/* Sluice protocol types, generated from the Sluice JSON Schemas by json-schema-to-typescript (`sluice schemas export --typescript DIR`). Do not edit: regenerate. */

/**
 * Event type; also the SSE event name.
 *
 * This interface was referenced by `SluiceEventMap`'s JSON-Schema
 * via the `definition` "EventType".
 */
export type EventType =
  | "connection"
  | "error"
  | "keepalive"
  | "message"
  | "message_deleted"
  | "message_edited"
  | "message_regenerated"
  | "message_regenerating"
  | "regeneration_error"
  | "regeneration_progress"
  | "status_update"
  | "stream_overflow"
  | "stream_reset"
  | "thought_process_complete"
  | "thought_process_start"
  | "thought_process_step";
/**
 * Session identifier: 1 to 128 characters from letters, digits, '.', '_', ':', '-', where no ':'-separated segment is '.' or '..' (a URL would lose it: a browser removes such path segments).
 *
 * This interface was referenced by `SluiceEventMap`'s JSON-Schema
 * via the `definition` "SessionId".
 */
export type SessionId = string;
/**
 * Identifier of a chat message (opaque, usually a UUID).
 *
 * This interface was referenced by `SluiceEventMap`'s JSON-Schema
 * via the `definition` "MessageId".
 */
export type MessageId = string;
/**
 * Identifier of the background task producing the events (opaque, usually a UUID).
 *
 * This interface was referenced by `SluiceEventMap`'s JSON-Schema
 * via the `definition` "TaskId".
 */
export type TaskId = string;
/**
 * Time as an RFC 3339 date-time, e.g. 2026-01-31T12:00:00Z.
 *
 * This interface was referenced by `SluiceEventMap`'s JSON-Schema
 * via the `definition` "Timestamp".
 */
export type Timestamp = string;
/**
 * Completion in percent, from 0 to 100.
 *
 * This interface was referenced by `SluiceEventMap`'s JSON-Schema
 * via the `definition` "Progress".
 */
export type Progress = number;
/**
 * Opaque event id, ordered within its session; resume from it with Last-Event-ID.
 *
 * This interface was referenced by `SluiceEventMap`'s JSON-Schema
 * via the `definition` "EventId".
 */
export type EventId = string;
/**
 * What the SSE data: field carries: the event with the id and timestamp the hub assigned, and its ttl when the publisher gave one.
 *
 * This interface was referenced by `SluiceEventMap`'s JSON-Schema
 * via the `definition` "SluiceEvent".
 */
export type SluiceEvent =
  | ConnectionEnvelope
  | ErrorEnvelope
  | KeepaliveEnvelope
  | MessageEnvelope
  | MessageDeletedEnvelope
  | MessageEditedEnvelope
  | MessageRegeneratedEnvelope
  | MessageRegeneratingEnvelope
  | RegenerationErrorEnvelope
  | RegenerationProgressEnvelope
  | StatusUpdateEnvelope
  | StreamOverflowEnvelope
  | StreamResetEnvelope
  | ThoughtProcessCompleteEnvelope
  | ThoughtProcessStartEnvelope
  | ThoughtProcessStepEnvelope;
/**
 * One event as a publisher sends it: type, data and an optional ttl. The hub assigns id and timestamp.
 *
 * This interface was referenced by `SluiceEventMap`'s JSON-Schema
 * via the `definition` "SluiceEventInput".
 */
export type SluiceEventInput =
  | ConnectionInput
  | ErrorInput
  | KeepaliveInput
  | MessageInput
  | MessageDeletedInput
  | MessageEditedInput
  | MessageRegeneratedInput
  | MessageRegeneratingInput
  | RegenerationErrorInput
  | RegenerationProgressInput
  | StatusUpdateInput
  | StreamOverflowInput
  | StreamResetInput
  | ThoughtProcessCompleteInput
  | ThoughtProcessStartInput
  | ThoughtProcessStepInput;
/**
 * Body of POST /api/sessions/{sessionId}/events: one event, or an array of events published in order, all or nothing.
 *
 * This interface was referenced by `SluiceEventMap`'s JSON-Schema
 * via the `definition` "PublishRequest".
 */
export type PublishRequest = SluiceEventInput | [SluiceEventInput, ...SluiceEventInput[]];

/**
 * Each event type with its envelope: what JSON.parse gives for the data of an SSE event of that name.
 */
export interface SluiceEventMap {
  connection: ConnectionEnvelope;
  error: ErrorEnvelope;
  keepalive: KeepaliveEnvelope;
  message: MessageEnvelope;
  message_deleted: MessageDeletedEnvelope;
  message_edited: MessageEditedEnvelope;
  message_regenerated: MessageRegeneratedEnvelope;
  message_regenerating: MessageRegeneratingEnvelope;
  regeneration_error: RegenerationErrorEnvelope;
  regeneration_progress: RegenerationProgressEnvelope;
  status_update: StatusUpdateEnvelope;
  stream_overflow: StreamOverflowEnvelope;
  stream_reset: StreamResetEnvelope;
  thought_process_complete: ThoughtProcessCompleteEnvelope;
  thought_process_start: ThoughtProcessStartEnvelope;
  thought_process_step: ThoughtProcessStepEnvelope;
}
/**
 * What the SSE data: field carries: the event with the id and timestamp the hub assigned, and its ttl when the publisher gave one. (type connection)
 *
 * This interface was referenced by `SluiceEventMap`'s JSON-Schema
 * via the `definition` "ConnectionEnvelope".
 */
export interface ConnectionEnvelope {
  /**
   * Event type; equals the SSE event field.
   */
  type: "connection";
  /**
   * Event payload.
   */
  data: ConnectionData;
  /**
   * Event id; equals the SSE id field. Empty for events not kept in history (keepalive).
   */
  id: string;
  /**
   * When the hub accepted the event.
   */
  timestamp: Timestamp;
  /**
   * Session the event belongs to; present on streams that carry several sessions.
   */
  sessionId?: SessionId;
  /**
   * Seconds the event stays in history (overrides the hub's event_ttl); present only when the publisher gave one.
   */
  ttl?: number;
}
/**
 * What the SSE data: field carries: the event with the id and timestamp the hub assigned, and its ttl when the publisher gave one. (type error)
 *
 * This interface was referenced by `SluiceEventMap`'s JSON-Schema
 * via the `definition` "ErrorEnvelope".
 */
export interface ErrorEnvelope {
  /**
   * Event type; equals the SSE event field.
   */
  type: "error";
  /**
   * Event payload.
   */
  data: ErrorData;
  /**
   * Event id; equals the SSE id field. Empty for events not kept in history (keepalive).
   */
  id: string;
  /**
   * When the hub accepted the event.
   */
  timestamp: Timestamp;
  /**
   * Session the event belongs to; present on streams that carry several sessions.
   */
  sessionId?: SessionId;
  /**
   * Seconds the event stays in history (overrides the hub's event_ttl); present only when the publisher gave one.
   */
  ttl?: number;
}
/**
 * What the SSE data: field carries: the event with the id and timestamp the hub assigned, and its ttl when the publisher gave one. (type keepalive)
 *
 * This interface was referenced by `SluiceEventMap`'s JSON-Schema
 * via the `definition` "KeepaliveEnvelope".
 */
export interface KeepaliveEnvelope {
  /**
   * Event type; equals the SSE event field.
   */
  type: "keepalive";
  /**
   * Event payload.
   */
  data: KeepaliveData;
  /**
   * Event id; equals the SSE id field. Empty for events not kept in history (keepalive).
   */
  id: string;
  /**
   * When the hub accepted the event.
   */
  timestamp: Timestamp;
  /**
   * Session the event belongs to; present on streams that carry several sessions.
   */
  sessionId?: SessionId;
  /**
   * Seconds the event stays in history (overrides the hub's event_ttl); present only when the publisher gave one.
   */
  ttl?: number;
}
/**
 * What the SSE data: field carries: the event with the id and timestamp the hub assigned, and its ttl when the publisher gave one. (type message)
 *
 * This interface was referenced by `SluiceEventMap`'s JSON-Schema
 * via the `definition` "MessageEnvelope".
 */
export interface MessageEnvelope {
  /**
   * Event type; equals the SSE event field.
   */
  type: "message";
  /**
   * Event payload.
   */
  data: MessageData;
  /**
   * Event id; equals the SSE id field. Empty for events not kept in history (keepalive).
   */
  id: string;
  /**
   * When the hub accepted the event.
   */
  timestamp: Timestamp;
  /**
   * Session the event belongs to; present on streams that carry several sessions.
   */
  sessionId?: SessionId;
  /**
   * Seconds the event stays in history (overrides the hub's event_ttl); present only when the publisher gave one.
   */
  ttl?: number;
}
/**
 * What the SSE data: field carries: the event with the id and timestamp the hub assigned, and its ttl when the publisher gave one. (type message_deleted)
 *
 * This interface was referenced by `SluiceEventMap`'s JSON-Schema
 * via the `definition` "MessageDeletedEnvelope".
 */
export interface MessageDeletedEnvelope {
  /**
   * Event type; equals the SSE event field.
   */
  type: "message_deleted";
  /**
   * Event payload.
   */
  data: MessageDeletedData;
  /**
   * Event id; equals the SSE id field. Empty for events not kept in history (keepalive).
   */
  id: string;
  /**
   * When the hub accepted the event.
   */
  timestamp: Timestamp;
  /**
   * Session the event belongs to; present on streams that carry several sessions.
   */
  sessionId?: SessionId;
  /**
   * Seconds the event stays in history (overrides the hub's event_ttl); present only when the publisher gave one.
   */
  ttl?: number;
}
/**
 * What the SSE data: field carries: the event with the id and timestamp the hub assigned, and its ttl when the publisher gave one. (type message_edited)
 *
 * This interface was referenced by `SluiceEventMap`'s JSON-Schema
 * via the `definition` "MessageEditedEnvelope".
 */
export interface MessageEditedEnvelope {
  /**
   * Event type; equals the SSE event field.
   */
  type: "message_edited";
  /**
   * Event payload.
   */
  data: MessageEditedData;
  /**
   * Event id; equals the SSE id field. Empty for events not kept in history (keepalive).
   */
  id: string;
  /**
   * When the hub accepted the event.
   */
  timestamp: Timestamp;
  /**
   * Session the event belongs to; present on streams that carry several sessions.
   */
  sessionId?: SessionId;
  /**
   * Seconds the event stays in history (overrides the hub's event_ttl); present only when the publisher gave one.
   */
  ttl?: number;
}
/**
 * What the SSE data: field carries: the event with the id and timestamp the hub assigned, and its ttl when the publisher gave one. (type message_regenerated)
 *
 * This interface was referenced by `SluiceEventMap`'s JSON-Schema
 * via the `definition` "MessageRegeneratedEnvelope".
 */
export interface MessageRegeneratedEnvelope {
  /**
   * Event type; equals the SSE event field.
   */
  type: "message_regenerated";
  /**
   * Event payload.
   */
  data: MessageRegeneratedData;
  /**
   * Event id; equals the SSE id field. Empty for events not kept in history (keepalive).
   */
  id: string;
  /**
   * When the hub accepted the event.
   */
  timestamp: Timestamp;
  /**
   * Session the event belongs to; present on streams that carry several sessions.
   */
  sessionId?: SessionId;
  /**
   * Seconds the event stays in history (overrides the hub's event_ttl); present only when the publisher gave one.
   */
  ttl?: number;
}
/**
 * What the SSE data: field carries: the event with the id and timestamp the hub assigned, and its ttl when the publisher gave one. (type message_regenerating)
 *
 * This interface was referenced by `SluiceEventMap`'s JSON-Schema
 * via the `definition` "MessageRegeneratingEnvelope".
 */
export interface MessageRegeneratingEnvelope {
  /**
   * Event type; equals the SSE event field.
   */
  type: "message_regenerating";
  /**
   * Event payload.
   */
  data: MessageRegeneratingData;
  /**
   * Event id; equals the SSE id field. Empty for events not kept in history (keepalive).
   */
  id: string;
  /**
   * When the hub accepted the event.
   */
  timestamp: Timestamp;
  /**
   * Session the event belongs to; present on streams that carry several sessions.
   */
  sessionId?: SessionId;
  /**
   * Seconds the event stays in history (overrides the hub's event_ttl); present only when the publisher gave one.
   */
  ttl?: number;
}
/**
 * What the SSE data: field carries: the event with the id and timestamp the hub assigned, and its ttl when the publisher gave one. (type regeneration_error)
 *
 * This interface was referenced by `SluiceEventMap`'s JSON-Schema
 * via the `definition` "RegenerationErrorEnvelope".
 */
export interface RegenerationErrorEnvelope {
  /**
   * Event type; equals the SSE event field.
   */
  type: "regeneration_error";
  /**
   * Event payload.
   */
  data: RegenerationErrorData;
  /**
   * Event id; equals the SSE id field. Empty for events not kept in history (keepalive).
   */
  id: string;
  /**
   * When the hub accepted the event.
   */
  timestamp: Timestamp;
  /**
   * Session the event belongs to; present on streams that carry several sessions.
   */
  sessionId?: SessionId;
  /**
   * Seconds the event stays in history (overrides the hub's event_ttl); present only when the publisher gave one.
   */
  ttl?: number;
}
/**
 * What the SSE data: field carries: the event with the id and timestamp the hub assigned, and its ttl when the publisher gave one. (type regeneration_progress)
 *
 * This interface was referenced by `SluiceEventMap`'s JSON-Schema
 * via the `definition` "RegenerationProgressEnvelope".
 */
export interface RegenerationProgressEnvelope {
  /**
   * Event type; equals the SSE event field.
   */
  type: "regeneration_progress";
  /**
   * Event payload.
   */
  data: RegenerationProgressData;
  /**
   * Event id; equals the SSE id field. Empty for events not kept in history (keepalive).
   */
  id: string;
  /**
   * When the hub accepted the event.
   */
  timestamp: Timestamp;
  /**
   * Session the event belongs to; present on streams that carry several sessions.
   */
  sessionId?: SessionId;
  /**
   * Seconds the event stays in history (overrides the hub's event_ttl); present only when the publisher gave one.
   */
  ttl?: number;
}
/**
 * What the SSE data: field carries: the event with the id and timestamp the hub assigned, and its ttl when the publisher gave one. (type status_update)
 *
 * This interface was referenced by `SluiceEventMap`'s JSON-Schema
 * via the `definition` "StatusUpdateEnvelope".
 */
export interface StatusUpdateEnvelope {
  /**
   * Event type; equals the SSE event field.
   */
  type: "status_update";
  /**
   * Event payload.
   */
  data: StatusUpdateData;
  /**
   * Event id; equals the SSE id field. Empty for events not kept in history (keepalive).
   */
  id: string;
  /**
   * When the hub accepted the event.
   */
  timestamp: Timestamp;
  /**
   * Session the event belongs to; present on streams that carry several sessions.
   */
  sessionId?: SessionId;
  /**
   * Seconds the event stays in history (overrides the hub's event_ttl); present only when the publisher gave one.
   */
  ttl?: number;
}
/**
 * What the SSE data: field carries: the event with the id and timestamp the hub assigned, and its ttl when the publisher gave one. (type stream_overflow)
 *
 * This interface was referenced by `SluiceEventMap`'s JSON-Schema
 * via the `definition` "StreamOverflowEnvelope".
 */
export interface StreamOverflowEnvelope {
  /**
   * Event type; equals the SSE event field.
   */
  type: "stream_overflow";
  /**
   * Event payload.
   */
  data: StreamOverflowData;
  /**
   * Event id; equals the SSE id field. Empty for events not kept in history (keepalive).
   */
  id: string;
  /**
   * When the hub accepted the event.
   */
  timestamp: Timestamp;
  /**
   * Session the event belongs to; present on streams that carry several sessions.
   */
  sessionId?: SessionId;
  /**
   * Seconds the event stays in history (overrides the hub's event_ttl); present only when the publisher gave one.
   */
  ttl?: number;
}
/**
 * What the SSE data: field carries: the event with the id and timestamp the hub assigned, and its ttl when the publisher gave one. (type stream_reset)
 *
 * This interface was referenced by `SluiceEventMap`'s JSON-Schema
 * via the `definition` "StreamResetEnvelope".
 */
export interface StreamResetEnvelope {
  /**
   * Event type; equals the SSE event field.
   */
  type: "stream_reset";
  /**
   * Event payload.
   */
  data: StreamResetData;
  /**
   * Event id; equals the SSE id field. Empty for events not kept in history (keepalive).
   */
  id: string;
  /**
   * When the hub accepted the event.
   */
  timestamp: Timestamp;
  /**
   * Session the event belongs to; present on streams that carry several sessions.
   */
  sessionId?: SessionId;
  /**
   * Seconds the event stays in history (overrides the hub's event_ttl); present only when the publisher gave one.
   */
  ttl?: number;
}
/**
 * What the SSE data: field carries: the event with the id and timestamp the hub assigned, and its ttl when the publisher gave one. (type thought_process_complete)
 *
 * This interface was referenced by `SluiceEventMap`'s JSON-Schema
 * via the `definition` "ThoughtProcessCompleteEnvelope".
 */
export interface ThoughtProcessCompleteEnvelope {
  /**
   * Event type; equals the SSE event field.
   */
  type: "thought_process_complete";
  /**
   * Event payload.
   */
  data: ThoughtProcessCompleteData;
  /**
   * Event id; equals the SSE id field. Empty for events not kept in history (keepalive).
   */
  id: string;
  /**
   * When the hub accepted the event.
   */
  timestamp: Timestamp;
  /**
   * Session the event belongs to; present on streams that carry several sessions.
   */
  sessionId?: SessionId;
  /**
   * Seconds the event stays in history (overrides the hub's event_ttl); present only when the publisher gave one.
   */
  ttl?: number;
}
/**
 * What the SSE data: field carries: the event with the id and timestamp the hub assigned, and its ttl when the publisher gave one. (type thought_process_start)
 *
 * This interface was referenced by `SluiceEventMap`'s JSON-Schema
 * via the `definition` "ThoughtProcessStartEnvelope".
 */
export interface ThoughtProcessStartEnvelope {
  /**
   * Event type; equals the SSE event field.
   */
  type: "thought_process_start";
  /**
   * Event payload.
   */
  data: ThoughtProcessStartData;
  /**
   * Event id; equals the SSE id field. Empty for events not kept in history (keepalive).
   */
  id: string;
  /**
   * When the hub accepted the event.
   */
  timestamp: Timestamp;
  /**
   * Session the event belongs to; present on streams that carry several sessions.
   */
  sessionId?: SessionId;
  /**
   * Seconds the event stays in history (overrides the hub's event_ttl); present only when the publisher gave one.
   */
  ttl?: number;
}
/**
 * What the SSE data: field carries: the event with the id and timestamp the hub assigned, and its ttl when the publisher gave one. (type thought_process_step)
 *
 * This interface was referenced by `SluiceEventMap`'s JSON-Schema
 * via the `definition` "ThoughtProcessStepEnvelope".
 */
export interface ThoughtProcessStepEnvelope {
  /**
   * Event type; equals the SSE event field.
   */
  type: "thought_process_step";
  /**
   * Event payload.
   */
  data: ThoughtProcessStepData;
  /**
   * Event id; equals the SSE id field. Empty for events not kept in history (keepalive).
   */
  id: string;
  /**
   * When the hub accepted the event.
   */
  timestamp: Timestamp;
  /**
   * Session the event belongs to; present on streams that carry several sessions.
   */
  sessionId?: SessionId;
  /**
   * Seconds the event stays in history (overrides the hub's event_ttl); present only when the publisher gave one.
   */
  ttl?: number;
}
/**
 * One event as a publisher sends it: type, data and an optional ttl. The hub assigns id and timestamp. (type connection)
 *
 * This interface was referenced by `SluiceEventMap`'s JSON-Schema
 * via the `definition` "ConnectionInput".
 */
export interface ConnectionInput {
  /**
   * Event type.
   */
  type: "connection";
  /**
   * Event payload.
   */
  data: ConnectionData;
  /**
   * Seconds the event stays in history (overrides the hub's event_ttl).
   */
  ttl?: number;
}
/**
 * One event as a publisher sends it: type, data and an optional ttl. The hub assigns id and timestamp. (type error)
 *
 * This interface was referenced by `SluiceEventMap`'s JSON-Schema
 * via the `definition` "ErrorInput".
 */
export interface ErrorInput {
  /**
   * Event type.
   */
  type: "error";
  /**
   * Event payload.
   */
  data: ErrorData;
  /**
   * Seconds the event stays in history (overrides the hub's event_ttl).
   */
  ttl?: number;
}
/**
 * One event as a publisher sends it: type, data and an optional ttl. The hub assigns id and timestamp. (type keepalive)
 *
 * This interface was referenced by `SluiceEventMap`'s JSON-Schema
 * via the `definition` "KeepaliveInput".
 */
export interface KeepaliveInput {
  /**
   * Event type.
   */
  type: "keepalive";
  /**
   * Event payload.
   */
  data: KeepaliveData;
  /**
   * Seconds the event stays in history (overrides the hub's event_ttl).
   */
  ttl?: number;
}
/**
 * One event as a publisher sends it: type, data and an optional ttl. The hub assigns id and timestamp. (type message)
 *
 * This interface was referenced by `SluiceEventMap`'s JSON-Schema
 * via the `definition` "MessageInput".
 */
export interface MessageInput {
  /**
   * Event type.
   */
  type: "message";
  /**
   * Event payload.
   */
  data: MessageData;
  /**
   * Seconds the event stays in history (overrides the hub's event_ttl).
   */
  ttl?: number;
}
/**
 * One event as a publisher sends it: type, data and an optional ttl. The hub assigns id and timestamp. (type message_deleted)
 *
 * This interface was referenced by `SluiceEventMap`'s JSON-Schema
 * via the `definition` "MessageDeletedInput".
 */
export interface MessageDeletedInput {
  /**
   * Event type.
   */
  type: "message_deleted";
  /**
   * Event payload.
   */
  data: MessageDeletedData;
  /**
   * Seconds the event stays in history (overrides the hub's event_ttl).
   */
  ttl?: number;
}
/**
 * One event as a publisher sends it: type, data and an optional ttl. The hub assigns id and timestamp. (type message_edited)
 *
 * This interface was referenced by `SluiceEventMap`'s JSON-Schema
 * via the `definition` "MessageEditedInput".
 */
export interface MessageEditedInput {
  /**
   * Event type.
   */
  type: "message_edited";
  /**
   * Event payload.
   */
  data: MessageEditedData;
  /**
   * Seconds the event stays in history (overrides the hub's event_ttl).
   */
  ttl?: number;
}
/**
 * One event as a publisher sends it: type, data and an optional ttl. The hub assigns id and timestamp. (type message_regenerated)
 *
 * This interface was referenced by `SluiceEventMap`'s JSON-Schema
 * via the `definition` "MessageRegeneratedInput".
 */
export interface MessageRegeneratedInput {
  /**
   * Event type.
   */
  type: "message_regenerated";
  /**
   * Event payload.
   */
  data: MessageRegeneratedData;
  /**
   * Seconds the event stays in history (overrides the hub's event_ttl).
   */
  ttl?: number;
}
/**
 * One event as a publisher sends it: type, data and an optional ttl. The hub assigns id and timestamp. (type message_regenerating)
 *
 * This interface was referenced by `SluiceEventMap`'s JSON-Schema
 * via the `definition` "MessageRegeneratingInput".
 */
export interface MessageRegeneratingInput {
  /**
   * Event type.
   */
  type: "message_regenerating";
  /**
   * Event payload.
   */
  data: MessageRegeneratingData;
  /**
   * Seconds the event stays in history (overrides the hub's event_ttl).
   */
  ttl?: number;
}
/**
 * One event as a publisher sends it: type, data and an optional ttl. The hub assigns id and timestamp. (type regeneration_error)
 *
 * This interface was referenced by `SluiceEventMap`'s JSON-Schema
 * via the `definition` "RegenerationErrorInput".
 */
export interface RegenerationErrorInput {
  /**
   * Event type.
   */
  type: "regeneration_error";
  /**
   * Event payload.
   */
  data: RegenerationErrorData;
  /**
   * Seconds the event stays in history (overrides the hub's event_ttl).
   */
  ttl?: number;
}
/**
 * One event as a publisher sends it: type, data and an optional ttl. The hub assigns id and timestamp. (type regeneration_progress)
 *
 * This interface was referenced by `SluiceEventMap`'s JSON-Schema
 * via the `definition` "RegenerationProgressInput".
 */
export interface RegenerationProgressInput {
  /**
   * Event type.
   */
  type: "regeneration_progress";
  /**
   * Event payload.
   */
  data: RegenerationProgressData;
  /**
   * Seconds the event stays in history (overrides the hub's event_ttl).
   */
  ttl?: number;
}
/**
 * One event as a publisher sends it: type, data and an optional ttl. The hub assigns id and timestamp. (type status_update)
 *
 * This interface was referenced by `SluiceEventMap`'s JSON-Schema
 * via the `definition` "StatusUpdateInput".
 */
export interface StatusUpdateInput {
  /**
   * Event type.
   */
  type: "status_update";
  /**
   * Event payload.
   */
  data: StatusUpdateData;
  /**
   * Seconds the event stays in history (overrides the hub's event_ttl).
   */
  ttl?: number;
}
/**
 * One event as a publisher sends it: type, data and an optional ttl. The hub assigns id and timestamp. (type stream_overflow)
 *
 * This interface was referenced by `SluiceEventMap`'s JSON-Schema
 * via the `definition` "StreamOverflowInput".
 */
export interface StreamOverflowInput {
  /**
   * Event type.
   */
  type: "stream_overflow";
  /**
   * Event payload.
   */
  data: StreamOverflowData;
  /**
   * Seconds the event stays in history (overrides the hub's event_ttl).
   */
  ttl?: number;
}
/**
 * One event as a publisher sends it: type, data and an optional ttl. The hub assigns id and timestamp. (type stream_reset)
 *
 * This interface was referenced by `SluiceEventMap`'s JSON-Schema
 * via the `definition` "StreamResetInput".
 */
export interface StreamResetInput {
  /**
   * Event type.
   */
  type: "stream_reset";
  /**
   * Event payload.
   */
  data: StreamResetData;
  /**
   * Seconds the event stays in history (overrides the hub's event_ttl).
   */
  ttl?: number;
}
/**
 * One event as a publisher sends it: type, data and an optional ttl. The hub assigns id and timestamp. (type thought_process_complete)
 *
 * This interface was referenced by `SluiceEventMap`'s JSON-Schema
 * via the `definition` "ThoughtProcessCompleteInput".
 */
export interface ThoughtProcessCompleteInput {
  /**
   * Event type.
   */
  type: "thought_process_complete";
  /**
   * Event payload.
   */
  data: ThoughtProcessCompleteData;
  /**
   * Seconds the event stays in history (overrides the hub's event_ttl).
   */
  ttl?: number;
}
/**
 * One event as a publisher sends it: type, data and an optional ttl. The hub assigns id and timestamp. (type thought_process_start)
 *
 * This interface was referenced by `SluiceEventMap`'s JSON-Schema
 * via the `definition` "ThoughtProcessStartInput".
 */
export interface ThoughtProcessStartInput {
  /**
   * Event type.
   */
  type: "thought_process_start";
  /**
   * Event payload.
   */
  data: ThoughtProcessStartData;
  /**
   * Seconds the event stays in history (overrides the hub's event_ttl).
   */
  ttl?: number;
}
/**
 * One event as a publisher sends it: type, data and an optional ttl. The hub assigns id and timestamp. (type thought_process_step)
 *
 * This interface was referenced by `SluiceEventMap`'s JSON-Schema
 * via the `definition` "ThoughtProcessStepInput".
 */
export interface ThoughtProcessStepInput {
  /**
   * Event type.
   */
  type: "thought_process_step";
  /**
   * Event payload.
   */
  data: ThoughtProcessStepData;
  /**
   * Seconds the event stays in history (overrides the hub's event_ttl).
   */
  ttl?: number;
}
/**
 * GET /api/sessions/{sessionId}/events: the polling fallback for clients without SSE.
 *
 * This interface was referenced by `SluiceEventMap`'s JSON-Schema
 * via the `definition` "HistoryResponse".
 */
export interface HistoryResponse {
  /**
   * The session.
   */
  sessionId: SessionId;
  /**
   * Envelopes after the requested id, oldest first.
   */
  events: SluiceEvent[];
  /**
   * True when history does not reach back to the requested id: refetch state.
   */
  reset: boolean;
  /**
   * Why reset is true (see stream_reset), or null.
   */
  resetReason: "history_exhausted" | "unknown_epoch" | "malformed_id" | "foreign_id" | null;
  /**
   * Id to pass as after= next time, or null when there are no events.
   */
  lastEventId: string | null;
}
/**
 * Every error response (RFC 9457, application/problem+json).
 *
 * This interface was referenced by `SluiceEventMap`'s JSON-Schema
 * via the `definition` "Problem".
 */
export interface Problem {
  /**
   * URI reference identifying the problem type.
   */
  type: string;
  /**
   * Short summary of the problem type.
   */
  title: string;
  /**
   * HTTP status code.
   */
  status: number;
  /**
   * What happened in this occurrence.
   */
  detail?: string;
  /**
   * The request path, as a URI reference (RFC 9457 section 3.1.5): percent-encoded.
   */
  instance?: string;
  /**
   * Every validation error, when the problem is invalid input.
   *
   * Items: One validation error.
   */
  errors?: {
    /**
     * JSON pointer to the failing value, e.g. /data/progress.
     */
    pointer: string;
    /**
     * What is wrong with it.
     */
    message: string;
  }[];
  [k: string]: unknown;
}
/**
 * Answer to a successful publish: the ids assigned, in order.
 *
 * This interface was referenced by `SluiceEventMap`'s JSON-Schema
 * via the `definition` "PublishResponse".
 */
export interface PublishResponse {
  /**
   * Session the events were published to.
   */
  sessionId: SessionId;
  /**
   * Assigned event ids, in publish order.
   *
   * @minItems 1
   */
  ids: [EventId, ...EventId[]];
}
/**
 * Body of POST /api/chat_actions/regenerate.
 *
 * This interface was referenced by `SluiceEventMap`'s JSON-Schema
 * via the `definition` "RegenerateRequest".
 */
export interface RegenerateRequest {
  /**
   * Session whose subscribers receive the regeneration events.
   */
  sessionId: SessionId;
  /**
   * Message to regenerate, if any (reported as originalMessageId).
   */
  messageId?: MessageId;
  /**
   * The user query to answer; not blank (at least one character that is not white space).
   */
  query: string;
}
/**
 * Immediate answer to a regenerate request; the result arrives over SSE.
 *
 * This interface was referenced by `SluiceEventMap`'s JSON-Schema
 * via the `definition` "RegenerateResponse".
 */
export interface RegenerateResponse {
  /**
   * Always true: the work was started.
   */
  success: true;
  /**
   * Id of the message being generated; SSE events carry it.
   */
  messageId: MessageId;
  /**
   * Human-readable note.
   */
  message: string;
}
/**
 * GET /api/sessions/{sessionId}/stats.
 *
 * This interface was referenced by `SluiceEventMap`'s JSON-Schema
 * via the `definition` "SessionStats".
 */
export interface SessionStats {
  /**
   * The session.
   */
  sessionId: SessionId;
  /**
   * Open subscriptions.
   */
  subscribers: number;
  /**
   * Events held in history.
   */
  historySize: number;
  /**
   * Whether the hub knows the session.
   */
  active: boolean;
  /**
   * Events accepted into the session.
   */
  published: number;
  /**
   * Frames handed to subscribers.
   */
  delivered: number;
  /**
   * Subscribers cut off for reading too slowly.
   */
  overflowed: number;
  /**
   * Publishes answered from an Idempotency-Key's record (nothing published).
   */
  deduplicated: number;
  /**
   * Events dropped from history when their ttl ran out.
   */
  expired: number;
  /**
   * Events dropped from history to relieve memory pressure.
   */
  shed: number;
  /**
   * Bytes of encoded frames held in history.
   */
  bytesHeld: number;
  /**
   * Id of the newest event, if any.
   */
  lastEventId?: string | null;
  /**
   * The id of the process whose figures these are: each process (each worker of `--workers N`, each hub on one Redis) counts its own, and its log lines carry the same pid.
   */
  pid: number;
}
/**
 * GET /api/events?session=a&session=b: the polling fallback for several sessions at once, as one stream of them carries them.
 *
 * This interface was referenced by `SluiceEventMap`'s JSON-Schema
 * via the `definition` "SessionsHistoryResponse".
 */
export interface SessionsHistoryResponse {
  /**
   * The sessions polled, in the order listed.
   */
  sessionIds: SessionId[];
  /**
   * Envelopes after the requested id, of every session listed, oldest first; each names its session in sessionId.
   */
  events: SluiceEvent[];
  /**
   * For each session whose history does not reach back to the requested id (refetch its state), why (see stream_reset); the other sessions are absent.
   */
  resets: {
    [k: string]: "history_exhausted" | "unknown_epoch" | "malformed_id" | "foreign_id";
  };
  /**
   * Id to pass as after= next time, or null when there are no events.
   */
  lastEventId: string | null;
}
/**
 * GET /api/stats: totals and per-session figures.
 *
 * This interface was referenced by `SluiceEventMap`'s JSON-Schema
 * via the `definition` "Stats".
 */
export interface Stats {
  /**
   * Sessions the hub holds.
   */
  sessions: number;
  /**
   * Open subscriptions over all sessions.
   */
  subscribers: number;
  /**
   * Events accepted over all sessions.
   */
  published: number;
  /**
   * Frames handed to subscribers over all sessions.
   */
  delivered: number;
  /**
   * Subscribers cut off for reading too slowly.
   */
  overflowed: number;
  /**
   * Publishes answered from an Idempotency-Key's record (nothing published).
   */
  deduplicated: number;
  /**
   * Events dropped from history when their ttl ran out.
   */
  expired: number;
  /**
   * Events dropped from history to relieve memory pressure.
   */
  shed: number;
  /**
   * Bytes of encoded frames held in history over all sessions.
   */
  bytesHeld: number;
  /**
   * Idempotency-Key records held in this process's memory (none with the Redis backplane, which keeps them in Redis).
   */
  idempotencyKeys: number;
  /**
   * Bytes of those records, approximately.
   */
  idempotencyBytes: number;
  /**
   * Memory of history and Idempotency-Key records in MiB ((bytesHeld + idempotencyBytes) / 2**20).
   */
  memoryUsageMb: number;
  /**
   * The id of the process whose figures these are: each process (each worker of `--workers N`, each hub on one Redis) counts its own, and its log lines carry the same pid.
   */
  pid: number;
  /**
   * Identifier of this hub run; part of every event id.
   */
  epoch: string;
  /**
   * Per session figures, keyed by session id.
   */
  sessionStats: {
    /**
     * Figures of one session.
     */
    [k: string]: {
      /**
       * Open subscriptions.
       */
      subscribers: number;
      /**
       * Events held in history.
       */
      historySize: number;
      /**
       * Events accepted into the session.
       */
      published: number;
      /**
       * Frames handed to subscribers.
       */
      delivered: number;
      /**
       * Subscribers cut off for reading too slowly.
       */
      overflowed: number;
      /**
       * Publishes answered from an Idempotency-Key's record (nothing published).
       */
      deduplicated: number;
      /**
       * Events dropped from history when their ttl ran out.
       */
      expired: number;
      /**
       * Events dropped from history to relieve memory pressure.
       */
      shed: number;
      /**
       * Bytes of encoded frames held in history.
       */
      bytesHeld: number;
    };
  };
}
/**
 * Sent first on every stream (status connected) and, where the server can, last (status disconnected).
 *
 * This interface was referenced by `SluiceEventMap`'s JSON-Schema
 * via the `definition` "ConnectionData".
 */
export interface ConnectionData {
  /**
   * Connection state.
   */
  status: "connected" | "disconnected";
  /**
   * Session the stream is subscribed to.
   */
  sessionId: SessionId;
  /**
   * Authenticated user (the token's subject), absent without auth.
   */
  userId?: string;
  /**
   * When the connection changed state.
   */
  timestamp: Timestamp;
}
/**
 * Something went wrong on the server side of a stream or task.
 *
 * This interface was referenced by `SluiceEventMap`'s JSON-Schema
 * via the `definition` "ErrorData".
 */
export interface ErrorData {
  /**
   * Human-readable description of the error.
   */
  message: string;
  /**
   * Machine-readable error code, e.g. stream_error.
   */
  code?: string;
  /**
   * Type of the event whose delivery failed, if any.
   */
  originalEvent?: string;
  /**
   * When the error happened.
   */
  timestamp?: Timestamp;
}
/**
 * Sent when a stream has been idle, so proxies and clients know it is alive. Not stored, has no id.
 *
 * This interface was referenced by `SluiceEventMap`'s JSON-Schema
 * via the `definition` "KeepaliveData".
 */
export interface KeepaliveData {
  /**
   * When the keepalive was sent.
   */
  timestamp: Timestamp;
}
/**
 * A chat message or free-form text for the session.
 *
 * This interface was referenced by `SluiceEventMap`'s JSON-Schema
 * via the `definition` "MessageData".
 */
export interface MessageData {
  /**
   * Text of the message.
   */
  content: string;
  /**
   * Identifier of the message, if it has one.
   */
  messageId?: MessageId;
  /**
   * Who wrote the message.
   */
  role?: "user" | "assistant" | "system";
  /**
   * When the message was written.
   */
  timestamp?: Timestamp;
}
/**
 * One or more messages were deleted.
 *
 * This interface was referenced by `SluiceEventMap`'s JSON-Schema
 * via the `definition` "MessageDeletedData".
 */
export interface MessageDeletedData {
  /**
   * Messages that were deleted.
   *
   * @minItems 1
   */
  deletedMessageIds: [MessageId, ...MessageId[]];
  /**
   * Session the event belongs to.
   */
  sessionId?: SessionId;
  /**
   * When the messages were deleted.
   */
  timestamp?: Timestamp;
}
/**
 * A message's content was changed.
 *
 * This interface was referenced by `SluiceEventMap`'s JSON-Schema
 * via the `definition` "MessageEditedData".
 */
export interface MessageEditedData {
  /**
   * Message that was edited.
   */
  messageId: MessageId;
  /**
   * Session the event belongs to.
   */
  sessionId?: SessionId;
  /**
   * New text of the message.
   */
  content: string;
  /**
   * Text before the edit, if kept.
   */
  previousContent?: string;
  /**
   * When the message was edited.
   */
  timestamp?: Timestamp;
}
/**
 * A message was (re)generated; content is final.
 *
 * This interface was referenced by `SluiceEventMap`'s JSON-Schema
 * via the `definition` "MessageRegeneratedData".
 */
export interface MessageRegeneratedData {
  /**
   * Message that was generated.
   */
  messageId: MessageId;
  /**
   * Session the event belongs to.
   */
  sessionId?: SessionId;
  /**
   * Task producing the event.
   */
  taskId?: TaskId;
  /**
   * Final text of the message.
   */
  content: string;
  /**
   * When generation finished.
   */
  timestamp?: Timestamp;
}
/**
 * Regeneration of a message has started.
 *
 * This interface was referenced by `SluiceEventMap`'s JSON-Schema
 * via the `definition` "MessageRegeneratingData".
 */
export interface MessageRegeneratingData {
  /**
   * Message being generated.
   */
  messageId: MessageId;
  /**
   * Session the event belongs to.
   */
  sessionId?: SessionId;
  /**
   * Task producing the event.
   */
  taskId?: TaskId;
  /**
   * Message being replaced, if any.
   */
  originalMessageId?: MessageId;
  /**
   * The query the message answers.
   */
  userQuery?: string;
  /**
   * When regeneration started.
   */
  timestamp?: Timestamp;
}
/**
 * Generating a message failed.
 *
 * This interface was referenced by `SluiceEventMap`'s JSON-Schema
 * via the `definition` "RegenerationErrorData".
 */
export interface RegenerationErrorData {
  /**
   * Message whose generation failed.
   */
  messageId: MessageId;
  /**
   * Session the event belongs to.
   */
  sessionId?: SessionId;
  /**
   * Task producing the event.
   */
  taskId?: TaskId;
  /**
   * What went wrong.
   */
  error: string;
  /**
   * When generation failed.
   */
  timestamp?: Timestamp;
}
/**
 * Progress of a message being (re)generated, with the partial text so far.
 *
 * This interface was referenced by `SluiceEventMap`'s JSON-Schema
 * via the `definition` "RegenerationProgressData".
 */
export interface RegenerationProgressData {
  /**
   * Message being generated.
   */
  messageId: MessageId;
  /**
   * Session the event belongs to.
   */
  sessionId?: SessionId;
  /**
   * Task producing the event.
   */
  taskId?: TaskId;
  /**
   * Completion in percent (0 to 100).
   */
  progress: Progress;
  /**
   * Human-readable status, e.g. Generating... 40%.
   */
  message?: string;
  /**
   * The text generated so far.
   */
  partialContent?: string;
  /**
   * When the progress was reported.
   */
  timestamp?: Timestamp;
}
/**
 * A short-lived status of a job or agent.
 *
 * This interface was referenced by `SluiceEventMap`'s JSON-Schema
 * via the `definition` "StatusUpdateData".
 */
export interface StatusUpdateData {
  /**
   * Current status, e.g. running or idle.
   */
  status: string;
  /**
   * Human-readable detail.
   */
  message?: string;
  /**
   * Completion in percent, if known.
   */
  progress?: Progress;
  /**
   * Task the status belongs to, if any.
   */
  taskId?: TaskId;
  /**
   * When the status changed.
   */
  timestamp?: Timestamp;
}
/**
 * Sluice control event: the client read too slowly and was cut off. Reconnect with Last-Event-ID to catch up from history.
 *
 * This interface was referenced by `SluiceEventMap`'s JSON-Schema
 * via the `definition` "StreamOverflowData".
 */
export interface StreamOverflowData {
  /**
   * Session the event belongs to.
   */
  sessionId: SessionId;
  /**
   * How many frames may wait for one subscriber.
   */
  maxQueueSize: number;
  /**
   * Id of the last event queued for this client before it was cut off.
   */
  lastEventId?: EventId;
  /**
   * When the client was cut off.
   */
  timestamp: Timestamp;
}
/**
 * Sluice control event: history could not cover the resume point; the client must refetch its state. Followed by what history holds.
 *
 * This interface was referenced by `SluiceEventMap`'s JSON-Schema
 * via the `definition` "StreamResetData".
 */
export interface StreamResetData {
  /**
   * Why the stream could not resume: history_exhausted (history no longer holds every event after the id), unknown_epoch (the id is from another hub run), malformed_id (not a Sluice id), foreign_id (an id of this hub run that this session did not issue, e.g. another session's).
   */
  reason: "history_exhausted" | "unknown_epoch" | "malformed_id" | "foreign_id";
  /**
   * The resume point the client asked for.
   */
  lastEventId?: string;
  /**
   * Session the event belongs to.
   */
  sessionId: SessionId;
  /**
   * When the reset was sent.
   */
  timestamp: Timestamp;
}
/**
 * An agent finished thinking.
 *
 * This interface was referenced by `SluiceEventMap`'s JSON-Schema
 * via the `definition` "ThoughtProcessCompleteData".
 */
export interface ThoughtProcessCompleteData {
  /**
   * Message the thinking produced.
   */
  messageId: MessageId;
  /**
   * Session the event belongs to.
   */
  sessionId?: SessionId;
  /**
   * Task producing the event.
   */
  taskId?: TaskId;
  /**
   * What the thinking concluded.
   */
  conclusion: string;
  /**
   * How many steps were taken.
   */
  totalSteps?: number;
  /**
   * When thinking completed.
   */
  timestamp?: Timestamp;
}
/**
 * An agent started thinking about a request.
 *
 * This interface was referenced by `SluiceEventMap`'s JSON-Schema
 * via the `definition` "ThoughtProcessStartData".
 */
export interface ThoughtProcessStartData {
  /**
   * Message the thinking will produce.
   */
  messageId: MessageId;
  /**
   * Session the event belongs to.
   */
  sessionId: SessionId;
  /**
   * Task producing the event.
   */
  taskId: TaskId;
  /**
   * What the agent is thinking about (usually the query).
   */
  thinkingAbout: string;
  /**
   * When thinking started.
   */
  timestamp?: Timestamp;
}
/**
 * One step of an agent's reasoning.
 *
 * This interface was referenced by `SluiceEventMap`'s JSON-Schema
 * via the `definition` "ThoughtProcessStepData".
 */
export interface ThoughtProcessStepData {
  /**
   * Message the thinking will produce.
   */
  messageId: MessageId;
  /**
   * Session the event belongs to.
   */
  sessionId?: SessionId;
  /**
   * Task producing the event.
   */
  taskId?: TaskId;
  /**
   * Short title of the step.
   */
  step: string;
  /**
   * Why the agent takes this step.
   */
  reasoning: string;
  /**
   * Position of the step, from 1.
   */
  stepNumber?: number;
  /**
   * When the step was taken.
   */
  timestamp?: Timestamp;
}
