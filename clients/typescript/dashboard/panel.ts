/**
 * One opened session: its events (history first, then live; the dashboard's one stream brings
 * them, see `sessionsStream.ts`) as a table of type, id and time, each id shown once; a
 * progress bar for `regeneration_progress` and `status_update`; the thinking steps of
 * `thought_process_*`; `stream_reset` and `stream_overflow` said plainly; the publish form and
 * the regenerate action.
 */

import type { SluiceEvent, StreamStatus } from "../src/client.js";
import { postJson } from "./api.js";
import type { Schema } from "./catalogue.js";
import { el } from "./dom.js";
import { PublishForm } from "./publishForm.js";

/** Rows the events table keeps, oldest dropped first. */
const MAX_ROWS = 500;

function time(timestamp: string): string {
  const date = new Date(timestamp);
  return Number.isNaN(date.getTime()) ? timestamp : date.toISOString().slice(11, 23);
}

/** `text` with the percentage appended, unless it already says one ("Generating... 40%"). */
export function progressText(text: string, percent: number): string {
  return /\d\s*%/.test(text) ? text : `${text} ${Math.round(percent)}%`;
}

export class SessionPanel {
  readonly element: HTMLElement;
  private readonly opened = Date.now();
  /** Ids of the events shown (at most twice `MAX_ROWS`, oldest forgotten first). */
  private readonly shown = new Set<string>();
  /** Events that arrived while the history was read, shown after it. */
  private held: SluiceEvent[] | undefined;
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
    this.showStatus({ state: "connecting", reconnectAttempt: 0, lastEventId: undefined, transport: "eventsource", error: undefined });
  }

  close(): void {
    this.element.remove();
  }

  /** Show `event` (after the history being read, if it is). */
  receive(event: SluiceEvent): void {
    if (this.held === undefined) this.show(event);
    else this.held.push(event);
  }

  /**
   * Show `history` (the session's events before those the stream brings) first, then the
   * events received meanwhile; an event in both is shown once.
   */
  async catchUp(history: Promise<SluiceEvent[]>): Promise<void> {
    this.held = [];
    try {
      for (const event of await history) this.show(event);
    } catch (error) {
      this.notice("error", `The history could not be read: ${error instanceof Error ? error.message : String(error)}`);
    }
    const held = this.held;
    this.held = undefined;
    for (const event of held) this.show(event);
  }

  /** The state of the stream that brings this session's events. */
  showStatus(status: StreamStatus): void {
    const attempt = status.state === "reconnecting" ? ` (attempt ${status.reconnectAttempt})` : "";
    const via = status.transport === "polling" ? ", polling" : "";
    this.state.className = `state ${status.state}`;
    this.state.textContent = `${status.state}${attempt}${via}`;
    this.state.title = status.error ?? "";
  }

  private show(event: SluiceEvent): void {
    if (event.type === "keepalive") return;
    if (event.id) {
      if (this.shown.has(event.id)) return;
      this.shown.add(event.id);
      if (this.shown.size > 2 * MAX_ROWS) this.shown.delete(this.shown.values().next().value!);
    }
    const when = Date.parse(event.timestamp) < this.opened ? "history" : "live";
    this.rows.append(
      el("tr", { class: `${when} event-${event.type}` }, el("td", {}, event.type), el("td", { class: "id" }, event.id), el("td", { class: "time", title: event.timestamp }, time(event.timestamp)), el("td", { class: "muted" }, when)),
    );
    while (this.rows.rows.length > MAX_ROWS) this.rows.rows[0]?.remove();
    const box = this.rows.closest(".events-box");
    box?.scrollTo({ top: box.scrollHeight });
    this.interpret(event);
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
    this.progressLabel.textContent = progressText(label, percent);
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
