// The fingerprint of the console's sources: SHA-256 over every source file (sorted by path) as
// "<path>\0<bytes>\0". `--write` stores it in dist/source-hash after a build; without it, prints
// it. functions/http/src/console.rs computes the same fingerprint in a Rust test, so that
// `cargo test` fails when the committed build is older than the sources.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(fileURLToPath(import.meta.url), "..", "..");
export const INPUTS = ["index.html", "package.json", "package-lock.json", "tsconfig.json", "vite.config.ts", "src"];

function walk(path, out) {
  if (statSync(path).isDirectory()) {
    for (const name of readdirSync(path)) walk(join(path, name), out);
  } else {
    out.push(relative(root, path).split(sep).join("/"));
  }
}

export function sourceHash() {
  const files = [];
  for (const input of INPUTS) walk(join(root, input), files);
  files.sort();
  const hash = createHash("sha256");
  for (const file of files) {
    hash.update(file);
    hash.update("\0");
    hash.update(readFileSync(join(root, file)));
    hash.update("\0");
  }
  return hash.digest("hex");
}

const digest = sourceHash();
if (process.argv.includes("--write")) writeFileSync(join(root, "dist", "source-hash"), `${digest}\n`);
else console.log(digest);
