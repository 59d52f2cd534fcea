// Builds what clients/typescript ships (run from anywhere in the checkout, after `npm ci`):
//   node clients/typescript/scripts/build.mjs package       dist/: ESM JavaScript and declarations (npm pack runs it)
//   node clients/typescript/scripts/build.mjs static [DIR]  the files the hub serves (default server/web/static):
//        sluice-client.js (the stream client in one ESM file, no React) and dashboard/ (the page at /)
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const client = resolve(here, "..");
const root = resolve(client, "..", "..");
const require = createRequire(import.meta.url);
const BANNER = "/* Built from clients/typescript by `node clients/typescript/scripts/build.mjs static`. Do not edit: rebuild. */";

function buildPackage() {
  const dist = join(client, "dist");
  rmSync(dist, { recursive: true, force: true });
  const tsc = join(dirname(require.resolve("typescript/package.json")), "bin", "tsc");
  const result = spawnSync(process.execPath, [tsc, "-p", client], { stdio: "inherit" });
  if (result.status !== 0) process.exit(result.status ?? 1);
  // tsc emits no .d.ts for a .d.ts source: the protocol's types are copied beside the rest.
  copyFileSync(join(client, "src", "sluice-events.d.ts"), join(dist, "sluice-events.d.ts"));
}

async function buildStatic(out) {
  const common = { absWorkingDir: client, bundle: true, format: "esm", target: "es2020", platform: "browser", banner: { js: BANNER }, legalComments: "none", logLevel: "warning" };
  await build({ ...common, entryPoints: [join(client, "src", "client.ts")], outfile: join(out, "sluice-client.js") });
  await build({ ...common, entryPoints: [join(client, "dashboard", "main.ts")], outfile: join(out, "dashboard", "dashboard.js") });
  for (const name of ["index.html", "dashboard.css"]) {
    copyFileSync(join(client, "dashboard", name), join(out, "dashboard", name));
  }
}

const [what, out] = process.argv.slice(2);
if (what === "package") buildPackage();
else if (what === "static") {
  const target = resolve(out ?? join(root, "server", "web", "static"));
  mkdirSync(join(target, "dashboard"), { recursive: true });
  await buildStatic(target);
} else {
  console.error("usage: build.mjs package | build.mjs static [DIR]");
  process.exit(2);
}
