// Prints the gzipped size of the initial JavaScript (every script index.html loads, plus the
// modules it preloads) and fails the build when it exceeds the budget.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const BUDGET_KB = 200;
const dist = new URL("../dist/", import.meta.url).pathname;
const html = readFileSync(join(dist, "index.html"), "utf8");
const refs = new Set();
for (const match of html.matchAll(/<(?:script|link)[^>]+(?:src|href)="\/?(assets\/[^"]+\.js)"/g)) {
  refs.add(match[1]);
}
if (refs.size === 0) {
  console.error("bundle-size: index.html references no JavaScript");
  process.exit(1);
}
let raw = 0;
let gzipped = 0;
for (const ref of refs) {
  const bytes = readFileSync(join(dist, ref));
  raw += bytes.length;
  gzipped += gzipSync(bytes, { level: 9 }).length;
}
const kb = (n) => (n / 1024).toFixed(1);
console.log(
  `initial JS: ${kb(gzipped)} KB gzipped (${kb(raw)} KB raw, ${refs.size} file(s)); budget ${BUDGET_KB} KB`,
);
if (gzipped > BUDGET_KB * 1024) {
  console.error(`bundle-size: initial JS exceeds ${BUDGET_KB} KB gzipped`);
  process.exit(1);
}
