// A Chromium page driven over stdin/stdout for tests/browser: Debian's /usr/bin/chromium through
// playwright-core (never a browser download), headless, with a fresh profile.
// argv: the folder of screenshots. Each stdin line is a JSON command, answered by one JSON line
// {"ok": true, "value": ...} or {"ok": false, "error": "..."}; "stop" closes the browser and
// answers {"stopped": true}. Page errors and console errors are kept and returned by "errors".
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

import { chromium } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";
export const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const [artifacts] = process.argv.slice(2);
const profile = mkdtempSync(join(tmpdir(), "sluice-chromium-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: CHROMIUM,
  headless: true,
  args: ARGS,
  viewport: { width: 1400, height: 900 },
});
const page = context.pages()[0] ?? (await context.newPage());
const errors = [];
page.on("pageerror", (error) => errors.push(`pageerror: ${error.message}`));
page.on("console", (message) => {
  if (message.type() === "error") errors.push(`console: ${message.text()}`);
});
const out = (line) => process.stdout.write(JSON.stringify(line) + "\n");

// Routes the page's requests for `url` (any query) to `body` (with `status`, 200 unless given):
// a test page served as if by the hub's origin, or an answer the hub would give.
const routes = new Map();
const withoutQuery = (url) => url.split(/[?#]/)[0];
// Nothing may load from anywhere but the hub on 127.0.0.1: a request elsewhere (a CDN, say) is
// refused and reported as an error.
await context.route("**/*", (route) => {
  const url = route.request().url();
  const body = routes.get(withoutQuery(url));
  if (body !== undefined) return route.fulfill(body);
  if (new URL(url).hostname !== "127.0.0.1") {
    errors.push(`offsite request: ${url}`);
    return route.abort();
  }
  return route.continue();
});

// A function's source called with `arg`, as the expression playwright evaluates in the page
// (a string is evaluated as is: a function's source would be a function, not its value).
const call = (expression, arg) => `(${expression})(${JSON.stringify(arg ?? null)})`;

const commands = {
  goto: ({ url }) => page.goto(url).then(() => null),
  // JavaScript run in every document the page loads from now on, before the document's own
  initScript: ({ script }) => page.addInitScript(script).then(() => null),
  route: ({ url, body, contentType, status }) => void routes.set(withoutQuery(url), { body, contentType, status: status ?? 200 }),
  waitFor: ({ expression, arg, timeout }) =>
    page.waitForFunction(call(expression, arg), null, { timeout: timeout ?? 10_000, polling: 50 }).then((handle) => handle.jsonValue()),
  eval: ({ expression, arg }) => page.evaluate(call(expression, arg)),
  click: ({ selector }) => page.click(selector).then(() => null),
  fill: ({ selector, value }) => page.fill(selector, value).then(() => null),
  select: ({ selector, value }) => page.selectOption(selector, value).then(() => null),
  screenshot: ({ name }) => page.screenshot({ path: join(artifacts, name), fullPage: true }).then(() => join(artifacts, name)),
  errors: () => errors.splice(0),
};

for await (const line of createInterface({ input: process.stdin })) {
  if (line === "stop") break;
  const { command, ...args } = JSON.parse(line);
  try {
    out({ ok: true, value: (await commands[command](args)) ?? null });
  } catch (error) {
    out({ ok: false, error: String(error?.message ?? error) });
  }
}
await context.close();
rmSync(profile, { recursive: true, force: true });
process.stdin.destroy();
out({ stopped: true });
