/**
 * Reads the GitLab compatibility corpus (`compat/<feature>/` at the repository root): each
 * folder holds a pipeline, one or more events (`context.json`, or `cases/<name>/context.json`)
 * and what GitLab does (`plan.json`, or `lint.json` for an invalid configuration).
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import type { EventSpec } from "../event-spec.js";

export interface CompatCase {
  /** `feature` or `feature/case`. */
  name: string;
  folder: string;
  /** Every non-JSON, non-README file of the feature folder, by path relative to it. */
  files: Record<string, string>;
  context: EventSpec & { compareTo?: Record<string, string[]> };
  expectedPlan?: unknown;
  expectedLint?: { valid: boolean; errors: Array<{ message: string; line?: number }> };
}

export function readCorpus(root: string): CompatCase[] {
  const cases: CompatCase[] = [];
  for (const feature of readdirSync(root).sort()) {
    const folder = join(root, feature);
    if (!statSync(folder).isDirectory()) continue;
    const files = pipelineFiles(folder);
    const casesDir = join(folder, "cases");
    if (existsSync(casesDir)) {
      for (const name of readdirSync(casesDir).sort()) {
        cases.push(readCase(`${feature}/${name}`, folder, join(casesDir, name), files));
      }
    } else {
      cases.push(readCase(feature, folder, folder, files));
    }
  }
  return cases;
}

function readCase(
  name: string,
  folder: string,
  dir: string,
  files: Record<string, string>,
): CompatCase {
  const json = (file: string) => {
    const path = join(dir, file);
    return existsSync(path) ? JSON.parse(readFileSync(path, "utf8")) : undefined;
  };
  const context = (json("context.json") ?? {}) as CompatCase["context"];
  const out: CompatCase = { name, folder, files, context };
  const plan = json("plan.json");
  const lint = json("lint.json");
  if (plan !== undefined) out.expectedPlan = plan;
  if (lint !== undefined) out.expectedLint = lint;
  return out;
}

function pipelineFiles(folder: string): Record<string, string> {
  const out: Record<string, string> = {};
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      const rel = relative(folder, full);
      if (entry.isDirectory()) {
        if (rel !== "cases") visit(full);
      } else if (!entry.name.endsWith(".json") && entry.name !== "README.md") {
        out[rel] = readFileSync(full, "utf8");
      }
    }
  };
  visit(folder);
  return out;
}
