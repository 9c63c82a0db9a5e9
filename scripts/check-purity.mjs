#!/usr/bin/env node
// The pipeline language and the engine are pure (ARCHITECTURE.md): no node: I/O, no wall clock, no randomness
// in its product code. Tests and test helpers (src/testing/, *.test.ts) may do I/O.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const PURE = ["packages/pipeline/src", "packages/engine/src"];
const BANNED = [
  [/from\s+["']node:/, "imports a node: module"],
  [/\bDate\.now\s*\(/, "reads the wall clock (Date.now)"],
  [/\bnew Date\s*\(\s*\)/, "reads the wall clock (new Date())"],
  [/\bMath\.random\s*\(/, "uses Math.random"],
  [/\brandomUUID\s*\(/, "uses crypto.randomUUID"],
  [/\bprocess\./, "reads the process"],
];

const problems = [];
const visit = (dir) => {
  for (const entry of readdirSync(dir)) {
    const full = join(dir, entry);
    if (statSync(full).isDirectory()) {
      if (entry !== "testing") visit(full);
    } else if (entry.endsWith(".ts") && !entry.endsWith(".test.ts")) {
      const lines = readFileSync(full, "utf8").split("\n");
      lines.forEach((line, i) => {
        for (const [pattern, what] of BANNED) {
          if (pattern.test(line)) problems.push(`${relative(root, full)}:${i + 1}: ${what}`);
        }
      });
    }
  }
};
for (const dir of PURE) visit(join(root, dir));
if (problems.length > 0) {
  console.error(`purity check failed:\n${problems.join("\n")}`);
  process.exit(1);
}
