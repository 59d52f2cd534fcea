// Bundles the React test page for test_browser.py: argv[2] is a folder holding app.jsx and
// example.tsx; writes app.js there (React, react-dom and sluice-client from the checkout).
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { build } from "esbuild";

const folder = resolve(process.argv[2]);
const root = resolve(fileURLToPath(import.meta.url), "..", "..", "..");
await build({
  entryPoints: [join(folder, "app.jsx")],
  outfile: join(folder, "app.js"),
  bundle: true,
  format: "esm",
  jsx: "automatic",
  nodePaths: [join(root, "node_modules")],
  alias: { "sluice-client": join(root, "clients", "typescript", "src", "index.ts") },
  define: { "process.env.NODE_ENV": '"development"' },
  logLevel: "warning",
});
