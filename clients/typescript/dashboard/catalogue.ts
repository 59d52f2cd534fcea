/**
 * The event catalogue as the hub serves it under `/schemas/`: each publishable event type with
 * its data schema, `$ref`s resolved, for the publish form.
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

interface SchemaIndex {
  schemas: { name: string }[];
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
    const name = target.pathname.slice(1);
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
  const index = await getJson<SchemaIndex>("schemas/");
  const resolver = new Resolver();
  const catalogue = new Map<string, Schema>();
  for (const { name } of index.schemas) {
    const match = /^events\/(.+)\.json$/.exec(name);
    if (match === null || HUB_EVENTS.has(match[1]!)) continue;
    const schema = (await resolver.document(name)) as Schema;
    const properties: Record<string, Schema> = {};
    for (const [key, property] of Object.entries(schema.properties ?? {})) {
      properties[key] = await resolver.resolve(name, property);
    }
    catalogue.set(match[1]!, { ...schema, properties });
  }
  return catalogue;
}
