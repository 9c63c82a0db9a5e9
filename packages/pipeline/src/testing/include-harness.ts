/**
 * Test doubles for the `include/` tests: an in-memory ConfigSource that records what was read,
 * simple fakes for the rules evaluator and variable expansion, and `resolveWith`, which runs
 * `resolveIncludes` over them with `fakeLoad` (fake-yaml.ts) as the YAML loader.
 * Unlike `memory-source.ts` (the fake for whole-pipeline tests), the source here records its
 * reads, and a remote read fails only when `remote` is `"disabled"`.
 */
import type { ConfigSource } from "../config-source.js";
import { resolveIncludes } from "../include/index.js";
import type { FileContext, IncludeDeps, IncludeLimits } from "../include/types.js";
import { fakeLoad } from "./fake-yaml.js";

export interface MemoryFiles {
  local?: Record<string, string>;
  /** Keyed `project@ref:path`, `ref` being `HEAD` when the include gives none. */
  projects?: Record<string, string>;
  templates?: Record<string, string>;
  /** `"disabled"`: every remote read rejects, as a host without remote includes does. */
  remote?: Record<string, string> | "disabled";
  components?: Record<string, string>;
}

export interface RecordingSource extends ConfigSource {
  reads: string[];
}

export function recordingSource(files: MemoryFiles): RecordingSource {
  const reads: string[] = [];
  return {
    reads,
    readLocal: async (path) => {
      reads.push(`local:${path}`);
      return files.local?.[path];
    },
    listLocal: async () => Object.keys(files.local ?? {}),
    readProject: async (project, file, ref) => {
      reads.push(`project:${project}@${ref ?? "HEAD"}:${file}`);
      return files.projects?.[`${project}@${ref ?? "HEAD"}:${file}`];
    },
    readTemplate: async (name) => {
      reads.push(`template:${name}`);
      return files.templates?.[name];
    },
    readRemote: async (url) => {
      reads.push(`remote:${url}`);
      if (files.remote === "disabled") throw new Error("remote includes are disabled");
      return files.remote?.[url];
    },
    readComponent: async (address) => {
      reads.push(`component:${address}`);
      return files.components?.[address];
    },
  };
}

export interface RulesCall {
  rules: unknown;
  file: string;
  context: FileContext | undefined;
}

/**
 * A stand-in for the rules evaluator: a rule `{ if: "true" }` matches, `{ if: "broken" }` is a
 * syntax error, anything else does not match.
 */
export function testDeps(source: ConfigSource, variables: Record<string, string> = {}) {
  const calls: RulesCall[] = [];
  const deps: IncludeDeps = {
    source,
    load: fakeLoad,
    matchesIncludeRules(rules, file, _path, context) {
      calls.push({ rules, file, context });
      const list = Array.isArray(rules) ? (rules as Array<Record<string, unknown>>) : [];
      if (list.some((rule) => rule.if === "broken"))
        return { error: "include:rules:rule if invalid expression syntax" };
      return list.some((rule) => rule.if === "true" && rule.when !== "never");
    },
    expand: (value) =>
      value.replace(
        /\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g,
        (_all, name: string) => variables[name] ?? "",
      ),
  };
  return { deps, calls };
}

export const lines = (...text: string[]) => `${text.join("\n")}\n`;

export interface ResolveOptions {
  variables?: Record<string, string>;
  limits?: Partial<IncludeLimits>;
  now?: () => number;
  inputs?: Record<string, unknown>;
}

/** Resolves `root` as `.gitlab-ci.yml` over in-memory files; returns what the source read too. */
export async function resolveWith(root: string, files: MemoryFiles, options: ResolveOptions = {}) {
  const source = recordingSource(files);
  const { deps, calls } = testDeps(source, options.variables);
  if (options.limits) deps.limits = options.limits;
  if (options.now) deps.now = options.now;
  const result = await resolveIncludes(".gitlab-ci.yml", root, deps, options.inputs);
  return { ...result, reads: source.reads, calls };
}

export const errorsOf = (r: { diagnostics: Array<{ severity: string; message: string }> }) =>
  r.diagnostics.filter((d) => d.severity === "error").map((d) => d.message);
