/**
 * The event catalogue as the hub serves it under `/schemas/`: each publishable event type with
 * its data schema, `$ref`s resolved, for the publish form; and the hub's session-id rule.
 *
 * The event types are those the hub's `event.json` says (its `type` enum, each type's data
 * schema named by its `if`/`then` branch), never guessed from file names: a team's
 * `events/defs.json` holds definitions, not a type.
 */

import { getJson } from "./api.js";

/** The parts of a JSON Schema the form reads. */
export interface Schema {
  $ref?: string;
  type?: string | string[];
  title?: string;
  description?: string;
  format?: string;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  properties?: Record<string, Schema>;
  required?: string[];
}

/** Control events only the hub sends: no form publishes them. */
const HUB_EVENTS = new Set(["connection", "keepalive", "stream_reset", "stream_overflow"]);

/** The parts of the hub's `event.json` that name its types: the enum and the per-type dispatch. */
interface EventSchema {
  properties: { type: { enum: string[] } };
  allOf?: { if?: { properties?: { type?: { const?: string } } }; then?: { properties?: { data?: Schema } } }[];
}

/** The session ids the hub accepts, as `defs.json#/$defs/sessionId` states them. */
export interface SessionIdRule {
  /** True for an id the hub accepts. */
  test(sessionId: string): boolean;
  /** The rule in words (the schema's description), for a refusal. */
  readonly description: string;
}

/** The hub's session-id rule (`schemas/defs.json`, `$defs/sessionId`: an ECMA-262 pattern). */
export async function loadSessionIdRule(): Promise<SessionIdRule> {
  const defs = await getJson<{ $defs: { sessionId: { pattern: string; description: string } } }>("schemas/defs.json");
  const { pattern, description } = defs.$defs.sessionId;
  const compiled = new RegExp(pattern, "u");
  return { test: (sessionId) => compiled.test(sessionId), description };
}

/** The name (under `/schemas/`) of the document `ref` points into, relative to the document `base`. */
function documentName(base: string, ref: string): string {
  return new URL(ref, `https://schemas.invalid/${base}`).pathname.slice(1);
}

class Resolver {
  private readonly documents = new Map<string, Promise<unknown>>();

  document(name: string): Promise<unknown> {
    let found = this.documents.get(name);
    if (found === undefined) {
      found = getJson<unknown>(`schemas/${name}`);
      this.documents.set(name, found);
    }
    return found;
  }

  /** `schema` with its `$ref` (relative to the document `base`) replaced by the target, siblings kept. */
  async resolve(base: string, schema: Schema): Promise<Schema> {
    if (schema.$ref === undefined) return schema;
    const target = new URL(schema.$ref, `https://schemas.invalid/${base}`);
    const name = documentName(base, schema.$ref);
    let node = (await this.document(name)) as Record<string, unknown>;
    for (const part of target.hash.replace(/^#\/?/, "").split("/").filter(Boolean)) {
      node = node[decodeURIComponent(part).replace(/~1/g, "/").replace(/~0/g, "~")] as Record<string, unknown>;
    }
    const { $ref: _ref, ...siblings } = schema;
    return { ...(await this.resolve(name, node as Schema)), ...siblings };
  }
}

/** Each publishable event type with its data schema (properties resolved), in the hub's order. */
export async function loadCatalogue(): Promise<Map<string, Schema>> {
  const resolver = new Resolver();
  const event = (await resolver.document("event.json")) as EventSchema;
  const dataSchemas = new Map<string, Schema>();
  for (const branch of event.allOf ?? []) {
    const type = branch.if?.properties?.type?.const;
    const data = branch.then?.properties?.data;
    if (type !== undefined && data !== undefined) dataSchemas.set(type, data);
  }
  const catalogue = new Map<string, Schema>();
  for (const type of event.properties.type.enum) {
    const data = dataSchemas.get(type);
    if (HUB_EVENTS.has(type) || data === undefined) continue;
    const name = data.$ref === undefined ? "event.json" : documentName("event.json", data.$ref);
    const schema = await resolver.resolve("event.json", data);
    const properties: Record<string, Schema> = {};
    for (const [key, property] of Object.entries(schema.properties ?? {})) {
      properties[key] = await resolver.resolve(name, property);
    }
    catalogue.set(type, { ...schema, properties });
  }
  return catalogue;
}
