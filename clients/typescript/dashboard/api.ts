/**
 * The hub's REST API as the dashboard calls it: URLs relative to the page (served at the hub's
 * root), the token (when auth is on) as a Bearer header, or `access_token` on stream URLs.
 */

import { sessionsUrl } from "../src/client.js";

/** One schema error of a 422 answer: the JSON pointer of the failing value and what is wrong. */
export interface FieldError {
  pointer: string;
  message: string;
}

/** An `application/problem+json` answer (RFC 9457). */
export class ProblemError extends Error {
  constructor(
    readonly status: number,
    detail: string,
    readonly errors: FieldError[] = [],
  ) {
    super(detail);
  }
}

const TOKEN_KEY = "sluice-token";

export function token(): string {
  return sessionStorage.getItem(TOKEN_KEY) ?? "";
}

export function setToken(value: string): void {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** The absolute URL of `path` on the hub that served this page. */
export function hubUrl(path: string): string {
  return new URL(path, document.baseURI).toString();
}

/** `url` with the current token as `access_token` (streams cannot send a header). */
function withToken(url: string): string {
  const target = new URL(url);
  if (token()) target.searchParams.set("access_token", token());
  return target.toString();
}

/** The one stream of `sessionIds` (`/sse?session=a&session=b`), with the current token. */
export function streamUrl(sessionIds: readonly string[]): string {
  return withToken(sessionsUrl(sessionIds, hubUrl("sse")));
}

/** The polling fallback of that stream (`GET /api/events?session=a&session=b`). */
export function pollUrl(sessionIds: readonly string[]): string {
  return sessionsUrl(sessionIds, hubUrl("api/events"));
}

export function authHeaders(): Record<string, string> {
  return token() ? { Authorization: `Bearer ${token()}` } : {};
}

async function answer<T>(response: Response): Promise<T> {
  const body: unknown = await response.json().catch(() => null);
  if (response.ok) return body as T;
  const problem = (body ?? {}) as { detail?: string; title?: string; errors?: FieldError[] };
  throw new ProblemError(response.status, problem.detail ?? problem.title ?? `HTTP ${response.status}`, problem.errors ?? []);
}

/** GET `path` as JSON; raises {@link ProblemError} on an error answer. */
export async function getJson<T>(path: string): Promise<T> {
  return answer<T>(await fetch(hubUrl(path), { headers: authHeaders() }));
}

/** POST `body` as JSON to `path`; raises {@link ProblemError} on an error answer. */
export async function postJson<T>(path: string, body: unknown): Promise<T> {
  const headers = { ...authHeaders(), "Content-Type": "application/json" };
  return answer<T>(await fetch(hubUrl(path), { method: "POST", headers, body: JSON.stringify(body) }));
}
