/**
 * One opened session: its stream (history first, then live) as a table of type, id and time; a
 * progress bar for `regeneration_progress` and `status_update`; the thinking steps of
 * `thought_process_*`; `stream_reset` and `stream_overflow` said plainly; the publish form and
 * the regenerate action.
 */

import { SluiceStream } from "../src/client.js";
import type { EnvelopeLike, SluiceEvent, StreamStatus } from "../src/client.js";
import { authHeaders, pollUrl, postJson, streamUrl } from "./api.js";
import type { Schema } from "./catalogue.js";
import { el } from "./dom.js";
import { PublishForm } from "./publishForm.js";

/** The hub's event map, known only at run time: the built-in types and a team's own. */
type HubEvents = Record<string, EnvelopeLike>;

/** Rows the events table keeps, oldest dropped first. */
const MAX_ROWS = 500;

function time(timestamp: string): string {
  const date = new Date(timestamp);
  return Number.isNaN(date.getTime()) ? timestamp : date.toISOString().slice(11, 23);
}

export class SessionPanel {
  readonly element: HTMLElement;
  readonly stream: SluiceStream<HubEvents>;
  private readonly opened = Date.now();
  private readonly state = el("span", { class: "state" });
  private readonly notices = el("div", { class: "notices" });
  private readonly progressLabel = el("span", { class: "progress-label" });
  private readonly progressBar = el("progress", { max: "100", value: "0" });
  private readonly progress = el("div", { class: "progress", hidden: true }, this.progressLabel, this.progressBar);
  private readonly thinking = el("ol", { class: "thinking" });
  private readonly rows = el("tbody");

  constructor(
    readonly sessionId: string,
    catalogue: Map<string, Schema>,
    onClose: (panel: SessionPanel) => void,
  ) {
    const close = el("button", { type: "button", class: "close", title: "close" }, "close");
    close.addEventListener("click", () => onClose(this));
    this.element = el(
      "article",
      { class: "panel", "data-session": sessionId },
      el("header", {}, el("h2", {}, sessionId), this.state, close),
      this.notices,
      this.progress,
      this.thinking,
      el("div", { class: "events-box" }, el("table", { class: "events" }, el("thead", {}, el("tr", {}, el("th", {}, "type"), el("th", {}, "id"), el("th", {}, "time"), el("th", {}, ""))), this.rows)),
      el("details", {}, el("summary", {}, "Publish an event"), new PublishForm(sessionId, catalogue).element),
      this.regenerateForm(),
    );
    this.stream = new SluiceStream<HubEvents>(() => streamUrl(sessionId), {
      maxReconnectAttempts: 1000,
      reconnectDelay: 500,
      maxReconnectDelay: 4000,
      pollUrl: pollUrl(sessionId),
      pollHeaders: authHeaders(),
      eventTypes: [...catalogue.keys()], // the hub's own types are read as the built-in ones
    });
    this.stream.onChange((status) => this.showStatus(status));
    this.stream.onEvent((event) => this.show(event));
    this.showStatus(this.stream.snapshot());
    this.stream.connect();
  }

  close(): void {
    this.stream.disconnect();
    this.element.remove();
  }

  private showStatus(status: StreamStatus): void {
    const attempt = status.state === "reconnecting" ? ` (attempt ${status.reconnectAttempt})` : "";
    const via = status.transport === "polling" ? ", polling" : "";
    this.state.className = `state ${status.state}`;
    this.state.textContent = `${status.state}${attempt}${via}`;
    this.state.title = status.error ?? "";
  }

  private show(event: EnvelopeLike): void {
    if (event.type === "keepalive") return;
    const when = Date.parse(event.timestamp) < this.opened ? "history" : "live";
    this.rows.append(
      el("tr", { class: `${when} event-${event.type}` }, el("td", {}, event.type), el("td", { class: "id" }, event.id), el("td", { class: "time", title: event.timestamp }, time(event.timestamp)), el("td", { class: "muted" }, when)),
    );
    while (this.rows.rows.length > MAX_ROWS) this.rows.rows[0]?.remove();
    const box = this.rows.closest(".events-box");
    box?.scrollTo({ top: box.scrollHeight });
    this.interpret(event as SluiceEvent); // a team's types fall through to the default
  }

  private interpret(event: SluiceEvent): void {
    switch (event.type) {
      case "regeneration_progress":
        return this.setProgress(event.data.progress, event.data.message ?? event.data.partialContent ?? "regenerating");
      case "status_update":
        return event.data.progress === undefined ? undefined : this.setProgress(event.data.progress, event.data.status);
      case "thought_process_start":
        this.thinking.replaceChildren(el("li", { class: "about" }, `thinking about ${event.data.thinkingAbout}`));
        return;
      case "thought_process_step":
        this.thinking.append(el("li", { class: "step" }, el("strong", {}, event.data.step), ` — ${event.data.reasoning}`));
        return;
      case "thought_process_complete":
        this.thinking.append(el("li", { class: "conclusion" }, `concluded: ${event.data.conclusion}`));
        return;
      case "stream_reset":
        return this.notice("reset", `Stream reset (${event.data.reason}): history could not cover the gap after ${event.data.lastEventId ?? "the last event"}; what the hub holds now follows.`);
      case "stream_overflow":
        return this.notice("overflow", `Cut off as a slow reader (more than ${event.data.maxQueueSize} events waiting); reconnecting and catching up from history.`);
      default:
        return undefined;
    }
  }

  private setProgress(percent: number, label: string): void {
    this.progress.hidden = false;
    this.progressBar.value = percent;
    this.progressLabel.textContent = `${label} ${Math.round(percent)}%`;
  }

  private notice(kind: string, text: string): void {
    this.notices.append(el("p", { class: `notice ${kind}`, role: "alert" }, `${new Date().toISOString().slice(11, 19)} ${text}`));
  }

  private regenerateForm(): HTMLFormElement {
    const query = el("input", { name: "query", placeholder: "what to answer", required: true });
    const messageId = el("input", { name: "messageId", placeholder: "optional" });
    const result = el("span", { class: "result", role: "status" });
    const form = el("form", { class: "regenerate" }, el("label", {}, "query", query), el("label", {}, "message id", messageId), el("button", { type: "submit" }, "Regenerate"), " ", result);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const body = { sessionId: this.sessionId, query: query.value, ...(messageId.value ? { messageId: messageId.value } : {}) };
      postJson<{ messageId: string }>("api/chat_actions/regenerate", body).then(
        (answer) => (result.textContent = `started ${answer.messageId}`),
        (error: unknown) => (result.textContent = error instanceof Error ? error.message : String(error)),
      );
    });
    return form;
  }
}
