// Builds the dashboard bundle into api/dashboard/static/ (committed, so the API needs no npm):
// app.js (the page, cytoscape and dagre, minified), app.css, app.js.LEGAL.txt (third-party
// licence notices) and index.html, whose asset URLs carry a content hash for cache busting.
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import * as esbuild from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "api", "dashboard", "static");
const MAX_BYTES = 1.5 * 1024 * 1024;

// cytoscape-dagre's dist embeds dagre and graphlib without their licence file.
const DAGRE_NOTICE = `@dagrejs/dagre and @dagrejs/graphlib, embedded in cytoscape-dagre (MIT)
${"=".repeat(60)}
Copyright (c) 2012-2014 Chris Pettitt

Permission is hereby granted, free of charge, to any person obtaining a copy of this software and
associated documentation files (the "Software"), to deal in the Software without restriction,
including without limitation the rights to use, copy, modify, merge, publish, distribute,
sublicense, and/or sell copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or
substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT
NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM,
DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT
OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
`;

const version = (text) => createHash("sha256").update(text).digest("hex").slice(0, 12);

await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });

const result = await esbuild.build({
  entryPoints: { app: join(here, "src", "main.ts"), "app-style": join(here, "src", "styles.css") },
  outdir: out,
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2020", "chrome100", "firefox100", "safari15"],
  legalComments: "external",
  charset: "utf8",
  metafile: true,
  logLevel: "warning",
});

// esbuild names the CSS entry app-style.css; the page loads it as app.css.
const css = await readFile(join(out, "app-style.css"), "utf8");
await rm(join(out, "app-style.css"));
await rm(join(out, "app-style.css.LEGAL.txt"), { force: true });
await writeFile(join(out, "app.css"), css);
const js = await readFile(join(out, "app.js"), "utf8");

const template = await readFile(join(here, "src", "index.html"), "utf8");
const html = template.replace("{{JS_VERSION}}", version(js)).replace("{{CSS_VERSION}}", version(css));
await writeFile(join(out, "index.html"), html);

// The full licence text of every npm package inside the bundle (the notices kept from inside
// their code are in app.js.LEGAL.txt).
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
  for (const file of ["LICENSE", "LICENSE.md", "LICENSE.txt", "license"]) {
    try {
      text = await readFile(join(dir, file), "utf8");
      break;
    } catch {
      // try the next name
    }
  }
  notices.push(`${name} ${meta.version} (${meta.license})\n${"=".repeat(60)}\n${text.trim()}\n`);
}
if (packages.has("cytoscape-dagre")) notices.push(DAGRE_NOTICE);
await writeFile(join(out, "THIRD-PARTY-LICENSES.txt"), notices.join("\n"));

// What the bundle was built from, so a test can tell when the committed bundle is stale:
// sha256 over (relative path, NUL, content, NUL) of build.mjs, package.json, package-lock.json and
// src/*, sorted by path.
const sources = ["build.mjs", "package.json", "package-lock.json", ...(await readdir(join(here, "src"))).map((f) => `src/${f}`)].sort();
const digest = createHash("sha256");
for (const rel of sources) {
  digest.update(rel).update("\0").update(await readFile(join(here, rel))).update("\0");
}
const esbuildVersion = esbuild.version;
await writeFile(
  join(out, "build-info.json"),
  JSON.stringify({ sourceSha256: digest.digest("hex"), sources, esbuild: esbuildVersion }, null, 2) + "\n",
);

const jsBytes = Buffer.byteLength(js);
const cssBytes = Buffer.byteLength(css);
console.log(`app.js ${(jsBytes / 1024).toFixed(1)} KiB, app.css ${(cssBytes / 1024).toFixed(1)} KiB -> ${out}`);
if (jsBytes + cssBytes > MAX_BYTES) {
  console.error(`the bundle is ${jsBytes + cssBytes} bytes, over the ${MAX_BYTES}-byte budget`);
  process.exit(1);
}
