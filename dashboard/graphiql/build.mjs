// Builds the GraphiQL bundle into api/graphiql/static/ (committed, so the API needs no npm):
// graphiql.js (GraphiQL, React and the boot code, minified), graphiql.css (fonts and icons inlined
// as data: URLs), graphiql.js.LEGAL.txt, THIRD-PARTY-LICENSES.txt, index.html (asset URLs carry a
// content hash) and build-info.json (what the bundle was built from).
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import * as esbuild from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "..", "api", "graphiql", "static");
const MAX_BYTES = 4 * 1024 * 1024;

const version = (text) => createHash("sha256").update(text).digest("hex").slice(0, 12);

await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });

const result = await esbuild.build({
  entryPoints: { graphiql: join(here, "src", "main.jsx") },
  outdir: out,
  bundle: true,
  minify: true,
  format: "iife",
  jsx: "automatic",
  target: ["es2020", "chrome100", "firefox100", "safari15"],
  define: { "process.env.NODE_ENV": '"production"' },
  loader: { ".woff2": "dataurl", ".woff": "dataurl", ".png": "dataurl", ".svg": "dataurl" },
  legalComments: "external",
  charset: "utf8",
  metafile: true,
  logLevel: "warning",
});

const js = await readFile(join(out, "graphiql.js"), "utf8");
const css = await readFile(join(out, "graphiql.css"), "utf8");
await rm(join(out, "graphiql.css.LEGAL.txt"), { force: true });
const template = await readFile(join(here, "src", "index.html"), "utf8");
await writeFile(join(out, "index.html"), template.replace("{{JS_VERSION}}", version(js)).replace("{{CSS_VERSION}}", version(css)));

// The full licence text of every npm package inside the bundle.
const packages = new Set();
for (const input of Object.keys(result.metafile.inputs)) {
  const match = input.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//);
  if (match) packages.add(match[1]);
}
const notices = [];
for (const name of [...packages].sort()) {
  const dir = join(here, "node_modules", name);
  const meta = JSON.parse(await readFile(join(dir, "package.json"), "utf8"));
  let text = `(licence: ${meta.license})`;
  for (const file of ["LICENSE", "LICENSE.md", "LICENSE.txt", "license", "LICENCE"]) {
    try {
      text = await readFile(join(dir, file), "utf8");
      break;
    } catch {
      // try the next name
    }
  }
  notices.push(`${name} ${meta.version} (${meta.license})\n${"=".repeat(60)}\n${text.trim()}\n`);
}
await writeFile(join(out, "THIRD-PARTY-LICENSES.txt"), notices.join("\n"));

// sha256 over (relative path, NUL, content, NUL) of build.mjs, package.json, package-lock.json
// and src/*, sorted by path: a test compares it with the sources to tell a stale bundle.
const sources = ["build.mjs", "package.json", "package-lock.json", ...(await readdir(join(here, "src"))).map((f) => `src/${f}`)].sort();
const digest = createHash("sha256");
for (const rel of sources) {
  digest.update(rel).update("\0").update(await readFile(join(here, rel))).update("\0");
}
await writeFile(
  join(out, "build-info.json"),
  JSON.stringify({ sourceSha256: digest.digest("hex"), sources, esbuild: esbuild.version, packages: [...packages].sort() }, null, 2) + "\n",
);

const bytes = Buffer.byteLength(js) + Buffer.byteLength(css);
console.log(`graphiql.js ${(Buffer.byteLength(js) / 1024).toFixed(1)} KiB, graphiql.css ${(Buffer.byteLength(css) / 1024).toFixed(1)} KiB -> ${out}`);
if (bytes > MAX_BYTES) {
  console.error(`the bundle is ${bytes} bytes, over the ${MAX_BYTES}-byte budget`);
  process.exit(1);
}
