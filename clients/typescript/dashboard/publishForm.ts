/**
 * The publish form of one session, built from the catalogue: a field per property of the chosen
 * event type's data (an object or an array is written as JSON), and each schema error of a 422
 * answer shown under its field (one inside an object or array with its pointer there).
 */

import { postJson, ProblemError } from "./api.js";
import type { FieldError } from "./api.js";
import type { Schema } from "./catalogue.js";
import { el } from "./dom.js";

const REQUIRED = /^'([^']+)' is a required property$/;

function kind(schema: Schema): string {
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type;
  if (schema.enum !== undefined) return "enum";
  return type ?? "json";
}

function input(name: string, schema: Schema): HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement {
  switch (kind(schema)) {
    case "enum":
      return el("select", { name }, el("option", { value: "" }, ""), ...(schema.enum ?? []).map((v) => el("option", { value: JSON.stringify(v) }, String(v))));
    case "boolean":
      return el("select", { name }, el("option", { value: "" }, ""), el("option", { value: "true" }, "true"), el("option", { value: "false" }, "false"));
    case "integer":
    case "number":
      return el("input", { name, type: "text", inputmode: "decimal" });
    case "string":
      return el("input", { name, type: "text", placeholder: schema.format ?? "" });
    default:
      return el("textarea", { name, rows: "2", placeholder: "JSON" });
  }
}

/** The value a field holds, typed by its schema; `undefined` when empty. Throws on bad input. */
function value(raw: string, schema: Schema): unknown {
  if (raw === "") return undefined;
  switch (kind(schema)) {
    case "enum":
    case "boolean":
    case "json":
    case "array":
    case "object":
      return JSON.parse(raw) as unknown;
    case "integer":
    case "number": {
      const number = Number(raw);
      if (Number.isNaN(number)) throw new Error(`${JSON.stringify(raw)} is not a number`);
      return number;
    }
    default:
      return raw;
  }
}

export class PublishForm {
  readonly element: HTMLFormElement;
  private readonly typeSelect: HTMLSelectElement;
  private readonly fields: HTMLElement;
  private readonly result: HTMLElement;

  constructor(
    private readonly sessionId: string,
    private readonly catalogue: Map<string, Schema>,
  ) {
    this.typeSelect = el("select", { name: "type" }, ...[...catalogue.keys()].map((t) => el("option", { value: t }, t)));
    this.fields = el("div", { class: "fields" });
    this.result = el("p", { class: "result", role: "status" });
    this.element = el(
      "form",
      { class: "publish", novalidate: true },
      el("label", {}, "event type", this.typeSelect),
      this.fields,
      el("button", { type: "submit" }, "Publish"),
      this.result,
    );
    this.typeSelect.addEventListener("change", () => this.renderFields());
    this.element.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.submit();
    });
    this.renderFields();
  }

  private schema(): Schema {
    return this.catalogue.get(this.typeSelect.value) ?? {};
  }

  private renderFields(): void {
    const schema = this.schema();
    const required = new Set(schema.required ?? []);
    this.fields.replaceChildren(
      ...Object.entries(schema.properties ?? {}).map(([name, property]) =>
        el(
          "label",
          { "data-field": name },
          required.has(name) ? `${name} *` : name,
          input(name, property),
          property.description ? el("span", { class: "hint" }, property.description) : null,
          el("span", { class: "field-error", hidden: true }),
        ),
      ),
    );
    this.result.textContent = "";
  }

  private showErrors(errors: FieldError[]): void {
    const general: string[] = [];
    for (const error of errors) {
      const required = REQUIRED.exec(error.message);
      const name = error.pointer.startsWith("/data/") ? error.pointer.split("/")[2] : error.pointer === "/data" && required ? required[1] : undefined;
      const slot = name === undefined ? null : this.fields.querySelector<HTMLElement>(`[data-field="${CSS.escape(name)}"] .field-error`);
      if (slot === null) {
        general.push(`${JSON.stringify(error.pointer)}: ${error.message}`); // "" is the whole event (RFC 6901)
        continue;
      }
      // an error inside a field's object or array names where in it: "/total": ... under order
      const inner = error.pointer.startsWith(`/data/${name}/`) ? error.pointer.slice(`/data/${name}`.length) : "";
      const message = inner ? `${JSON.stringify(inner)}: ${error.message}` : error.message;
      slot.hidden = false;
      slot.textContent = slot.textContent ? `${slot.textContent}; ${message}` : message;
    }
    this.result.className = "result error";
    this.result.textContent = general.length ? general.join("; ") : "not published: fix the fields marked";
  }

  private async submit(): Promise<void> {
    this.result.className = "result";
    this.result.textContent = "";
    for (const slot of this.fields.querySelectorAll<HTMLElement>(".field-error")) {
      slot.hidden = true;
      slot.textContent = "";
    }
    const data: Record<string, unknown> = {};
    const local: FieldError[] = [];
    for (const [name, property] of Object.entries(this.schema().properties ?? {})) {
      const control = this.fields.querySelector<HTMLInputElement>(`[name="${CSS.escape(name)}"]`);
      try {
        const typed = value(control?.value.trim() ?? "", property);
        if (typed !== undefined) data[name] = typed;
      } catch (error) {
        local.push({ pointer: `/data/${name}`, message: error instanceof Error ? error.message : String(error) });
      }
    }
    if (local.length) return this.showErrors(local);
    try {
      const answer = await postJson<{ ids: string[] }>(`api/sessions/${this.sessionId}/events`, { type: this.typeSelect.value, data });
      this.result.className = "result";
      this.result.textContent = `published ${answer.ids.join(", ")}`;
    } catch (error) {
      if (error instanceof ProblemError && error.errors.length) this.showErrors(error.errors);
      else {
        this.result.className = "result error";
        this.result.textContent = error instanceof Error ? error.message : String(error);
      }
    }
  }
}
