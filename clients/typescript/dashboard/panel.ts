/**
 * One opened session: its events (history first, then live; the dashboard's one stream brings
 * them, see `sessionsStream.ts`) as a table of type, id and time, each id shown once; a
 * progress bar for `regeneration_progress` and `status_update`; the thinking steps of
 * `thought_process_*`; `stream_reset` and `stream_overflow` said plainly; the publish form and
 * the regenerate action.
 *
 * Events are queued as they arrive and drawn once per animation frame (at most once a second in
 * a hidden tab, whose frames stop): one fragment of rows, the table trimmed to `MAX_ROWS` once,
 * one scroll, the progress bar set to its latest value. Drawing costs the same per frame at 30
 * events a second or 3,000; the queue itself keeps at most the newest rows a frame could show.
 */

import type { SluiceEvent, StreamStatus } from "../src/client.js";
import { postJson } from "./api.js";
import type { Schema } from "./catalogue.js";
import { el } from "./dom.js";
import { PublishForm } from "./publishForm.js";

/** Rows the events table keeps, oldest dropped first. */
const MAX_ROWS = 500;
/** Milliseconds after which queued events are drawn even without an animation frame (a hidden tab). */
const FRAME_FALLBACK = 1000;

/** What the next frame draws: the rows and the last state of each part the events change. */
interface Draft {
  rows: SluiceEvent[];
  /** More rows arrived than the table keeps: the rows drawn replace the table's. */
  overflowed: boolean;
  progress?: { percent: number; label: string };
  /** `thought_process_start` replaces the steps: the list is then `thinking` alone. */
  thinkingRestart: boolean;
  thinking: HTMLLIElement[];
  notices: { kind: string; text: string }[];
}

function emptyDraft(): Draft {
  return { rows: [], overflowed: false, thinkingRestart: false, thinking: [], notices: [] };
}

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
  /** A `connection` row is shown once: each re-open of the shared stream sends another. */
  private connectionShown = false;
  private draft = emptyDraft();
  /** The pending draw (an animation frame and its fallback timer), if one is scheduled. */
  private pending: { frame: number; timer: ReturnType<typeof setTimeout> } | undefined;
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
    if (this.pending !== undefined) {
      cancelAnimationFrame(this.pending.frame);
      clearTimeout(this.pending.timer);
      this.pending = undefined;
    }
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

  /** Queue `event` for the next frame (once per id; the first `connection` only). */
  private show(event: SluiceEvent): void {
    if (event.type === "keepalive") return;
    if (event.type === "connection") {
      if (this.connectionShown) return;
      this.connectionShown = true;
    }
    if (event.id) {
      if (this.shown.has(event.id)) return;
      this.shown.add(event.id);
      if (this.shown.size > 2 * MAX_ROWS) this.shown.delete(this.shown.values().next().value!);
    }
    const rows = this.draft.rows;
    rows.push(event);
    if (rows.length >= 2 * MAX_ROWS) {
      rows.splice(0, rows.length - MAX_ROWS);
      this.draft.overflowed = true;
    }
    this.interpret(event);
    this.schedule();
  }

  private schedule(): void {
    if (this.pending !== undefined) return;
    this.pending = {
      frame: requestAnimationFrame(() => this.draw()),
      timer: setTimeout(() => this.draw(), FRAME_FALLBACK),
    };
  }

  /** Draw what was queued since the last frame: the one place the panel's DOM changes for events. */
  private draw(): void {
    if (this.pending !== undefined) {
      cancelAnimationFrame(this.pending.frame);
      clearTimeout(this.pending.timer);
      this.pending = undefined;
    }
    const draft = this.draft;
    this.draft = emptyDraft();
    const kept = draft.rows.slice(-MAX_ROWS);
    if (kept.length) {
      const fragment = document.createDocumentFragment();
      for (const event of kept) fragment.append(this.row(event));
      if (draft.overflowed || kept.length === MAX_ROWS) this.rows.replaceChildren(fragment);
      else {
        const excess = this.rows.rows.length + kept.length - MAX_ROWS;
        if (excess > 0) {
          const range = document.createRange();
          range.setStartBefore(this.rows.rows[0]!);
          range.setEndAfter(this.rows.rows[excess - 1]!);
          range.deleteContents();
        }
        this.rows.append(fragment);
      }
      const box = this.rows.closest(".events-box");
      box?.scrollTo({ top: box.scrollHeight });
    }
    if (draft.progress !== undefined) {
      this.progress.hidden = false;
      this.progressBar.value = draft.progress.percent;
      this.progressLabel.textContent = progressText(draft.progress.label, draft.progress.percent);
    }
    if (draft.thinkingRestart) this.thinking.replaceChildren(...draft.thinking);
    else if (draft.thinking.length) this.thinking.append(...draft.thinking);
    for (const { kind, text } of draft.notices) this.notice(kind, text);
  }

  private row(event: SluiceEvent): HTMLTableRowElement {
    const when = Date.parse(event.timestamp) < this.opened ? "history" : "live";
    return el("tr", { class: `${when} event-${event.type}` }, el("td", {}, event.type), el("td", { class: "id" }, event.id), el("td", { class: "time", title: event.timestamp }, time(event.timestamp)), el("td", { class: "muted" }, when));
  }

  /** Note in the draft what `event` changes besides its row. */
  private interpret(event: SluiceEvent): void {
    const draft = this.draft;
    switch (event.type) {
      case "regeneration_progress":
        draft.progress = { percent: event.data.progress, label: event.data.message ?? event.data.partialContent ?? "regenerating" };
        return;
      case "status_update":
        if (event.data.progress !== undefined) draft.progress = { percent: event.data.progress, label: event.data.status };
        return;
      case "thought_process_start":
        draft.thinkingRestart = true;
        draft.thinking = [el("li", { class: "about" }, `thinking about ${event.data.thinkingAbout}`)];
        return;
      case "thought_process_step":
        draft.thinking.push(el("li", { class: "step" }, el("strong", {}, event.data.step), ` — ${event.data.reasoning}`));
        return;
      case "thought_process_complete":
        draft.thinking.push(el("li", { class: "conclusion" }, `concluded: ${event.data.conclusion}`));
        return;
      case "stream_reset":
        draft.notices.push({ kind: "reset", text: `Stream reset (${event.data.reason}): history could not cover the gap after ${event.data.lastEventId ?? "the last event"}; what the hub holds now follows.` });
        return;
      case "stream_overflow":
        draft.notices.push({ kind: "overflow", text: `Cut off as a slow reader (more than ${event.data.maxQueueSize} events waiting); reconnecting and catching up from history.` });
        return;
      default:
        return undefined;
    }
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
