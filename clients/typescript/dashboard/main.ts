/**
 * The dashboard at `/`: the hub's sessions with live figures, and the sessions opened from
 * them, from the form or from the page's link (`/?session=a&session=b`), all on one stream (at
 * most the hub's `--max-sessions-per-stream`).
 */

import type { Stats } from "../src/client.js";
import { ProblemError, getJson, setToken, token } from "./api.js";
import { loadCatalogue, loadSessionIdRule } from "./catalogue.js";
import type { Schema, SessionIdRule } from "./catalogue.js";
import { el, find } from "./dom.js";
import { SessionPanel } from "./panel.js";
import { SessionsStream, readHistory } from "./sessionsStream.js";

/** Milliseconds between two readings of `/api/stats`. */
const STATS_INTERVAL = 2000;

interface Health {
  auth: "jwt" | "disabled" | "unconfigured";
  backplane: string;
  maxSessionsPerStream: number;
}

class Dashboard {
  private readonly panels = new Map<string, SessionPanel>();
  private readonly panelArea = find<HTMLElement>(document, "#panels");
  private readonly limitNotice = find<HTMLElement>(document, "#limit");
  private readonly streamError = find<HTMLElement>(document, "#stream-error");
  private readonly openError = find<HTMLElement>(document, "#open-error");
  /** The sessions the limit kept from opening, since the notice was last hidden. */
  private notOpened: string[] = [];
  private readonly stream: SessionsStream;

  constructor(
    private readonly catalogue: Map<string, Schema>,
    private readonly sessionIds: SessionIdRule,
    private readonly maxSessions: number,
  ) {
    this.stream = new SessionsStream(
      {
        event: (sessionId, event) => {
          if (sessionId === undefined) for (const panel of this.panels.values()) panel.receive(event);
          else this.panels.get(sessionId)?.receive(event);
        },
        status: (status) => {
          for (const panel of this.panels.values()) panel.showStatus(status);
        },
        joined: (sessionIds) => {
          for (const id of sessionIds) void this.panels.get(id)?.catchUp(readHistory(id));
        },
        refused: (reason) => {
          this.streamError.hidden = reason === undefined;
          this.streamError.textContent = reason ?? "";
        },
      },
      [...catalogue.keys()],
    );
  }

  /** Open a panel of `sessionId`; an id the hub would refuse is not opened, and the page says why. */
  open(sessionId: string): void {
    if (!this.sessionIds.test(sessionId)) {
      this.openError.hidden = false;
      this.openError.textContent = `${JSON.stringify(sessionId)} is not a session id. ${this.sessionIds.description}`;
      return;
    }
    this.openError.hidden = true;
    if (this.panels.has(sessionId)) return;
    if (this.panels.size >= this.maxSessions) {
      if (!this.notOpened.includes(sessionId)) this.notOpened.push(sessionId);
      this.limitNotice.hidden = false;
      this.limitNotice.textContent =
        `${this.notOpened.join(", ")} ${this.notOpened.length > 1 ? "are" : "is"} not open: ` +
        `one stream carries at most ${this.maxSessions} sessions ` +
        `(the hub's --max-sessions-per-stream). Close a session to open another.`;
      return;
    }
    this.hideLimit();
    const panel = new SessionPanel(sessionId, this.catalogue, (closed) => this.close(closed.sessionId));
    this.panels.set(sessionId, panel);
    this.panelArea.append(panel.element);
    this.changed();
  }

  close(sessionId: string): void {
    this.panels.get(sessionId)?.close();
    this.panels.delete(sessionId);
    this.hideLimit();
    this.changed();
  }

  private hideLimit(): void {
    this.limitNotice.hidden = true;
    this.notOpened = [];
  }

  /** Open the stream again with the new token in its URL, resuming: the panels stay. */
  renew(): void {
    this.stream.renew();
  }

  /** Follow the open sessions on the stream, and keep the page's link naming them. */
  private changed(): void {
    this.stream.follow([...this.panels.keys()]);
    this.remember();
  }

  /** Keep the page's link naming the open sessions (`?session=a&session=b`). */
  private remember(): void {
    const url = new URL(location.href);
    url.searchParams.delete("session");
    for (const id of this.panels.keys()) url.searchParams.append("session", id);
    history.replaceState(null, "", url);
  }
}

type SessionFigures = Stats["sessionStats"][string];

function statsRow(sessionId: string, stats: SessionFigures, open: (id: string) => void): HTMLTableRowElement {
  const link = el("a", { href: `?session=${sessionId}`, "data-session": sessionId }, sessionId);
  link.addEventListener("click", (event) => {
    event.preventDefault();
    open(sessionId);
  });
  const cells = [stats.subscribers, stats.historySize, stats.published, stats.delivered, stats.overflowed];
  return el("tr", {}, el("td", {}, link), ...cells.map((n) => el("td", {}, String(n))));
}

/** "1 session", "2 sessions": a count with its noun. */
function counted(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

async function refreshStats(dashboard: Dashboard): Promise<void> {
  const error = find<HTMLElement>(document, "#sessions-error");
  try {
    const stats = await getJson<Stats>("api/stats");
    const rows = Object.entries(stats.sessionStats).map(([id, s]) => statsRow(id, s, (opened) => dashboard.open(opened)));
    find<HTMLElement>(document, "#session-table tbody").replaceChildren(...rows);
    find<HTMLElement>(document, "#totals").textContent =
      `${counted(stats.sessions, "session")}, ${counted(stats.subscribers, "subscriber")}, ${stats.published} published, ` +
      `${stats.delivered} delivered, ${stats.memoryUsageMb.toFixed(2)} MiB of history`;
    error.hidden = true;
  } catch (failure) {
    error.hidden = false;
    const unauthorized = failure instanceof ProblemError && failure.status === 401;
    error.textContent = !unauthorized
      ? String(failure)
      : token()
        ? `The hub refused the token (expired or invalid): enter another above. ${failure.message}`
        : "The hub needs a token: enter one above.";
  }
}

/** Open the sessions the link names and follow the hub's figures. */
function start(dashboard: Dashboard): void {
  for (const id of new URL(location.href).searchParams.getAll("session")) dashboard.open(id);
  void refreshStats(dashboard);
  setInterval(() => void refreshStats(dashboard), STATS_INTERVAL);
}

async function main(): Promise<void> {
  const health = await getJson<Health>("healthz");
  find<HTMLElement>(document, "#hub").textContent = `auth ${health.auth}, ${health.backplane} backplane`;
  const [catalogue, sessionIds] = await Promise.all([loadCatalogue(), loadSessionIdRule()]);
  const dashboard = new Dashboard(catalogue, sessionIds, health.maxSessionsPerStream);
  const openForm = find<HTMLFormElement>(document, "#open-form");
  openForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const field = find<HTMLInputElement>(openForm, "#open-id");
    dashboard.open(field.value.trim());
    field.value = "";
  });
  if (health.auth === "disabled") return start(dashboard);
  const form = find<HTMLFormElement>(document, "#token-form");
  const field = find<HTMLInputElement>(form, "#token");
  let started = false;
  field.value = token();
  form.hidden = false;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    setToken(field.value.trim());
    if (!started) {
      started = true;
      return start(dashboard);
    }
    dashboard.renew();
    void refreshStats(dashboard);
  });
  if (token()) {
    started = true;
    return start(dashboard);
  }
  const waiting = find<HTMLElement>(document, "#sessions-error");
  waiting.hidden = false;
  waiting.textContent = "The hub needs a token: enter one above.";
}

void main();
