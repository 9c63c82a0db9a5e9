/**
 * Test doubles for include tests: a YAML loader standing in for `yaml/` (same `LoadedYaml`
 * shape, positions recorded through source-map.ts), an in-memory ConfigSource over a few Maps,
 * and simple fakes for the rules evaluator and variable expansion.
 * Used only by `*.test.ts` beside it.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, type Node, parseAllDocuments } from "yaml";
import type { ConfigSource } from "../config-source.js";
import type { Diagnostic } from "../diagnostics.js";
import { recordEntry, recordOrigin } from "../source-map.js";
import { resolveIncludes } from "./index.js";
import type { FileContext, IncludeDeps, IncludeLimits, LoadedYamlLike } from "./types.js";

export function fakeLoad(text: string, file: string): LoadedYamlLike {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines });
  const diagnostics: Diagnostic[] = [];
  const list = Array.isArray(docs) ? docs : [];
  const at = (offset: number) => {
    const { line, col } = lines.linePos(offset);
    return { file, line, column: col };
  };
  const build = (node: unknown, doc: (typeof list)[number]): unknown => {
    if (node === null || node === undefined) return null;
    if (isAlias(node)) return build(node.resolve(doc), doc);
    if (isMap(node)) {
      const out: Record<string, unknown> = {};
      recordOrigin(out, at(node.range?.[0] ?? 0));
      for (const pair of node.items) {
        const key = String(build(pair.key, doc));
        out[key] = build(pair.value, doc);
        const keyNode = pair.key as Node | null;
        recordEntry(out, key, at(keyNode?.range?.[0] ?? 0));
      }
      return out;
    }
    if (isSeq(node)) {
      const out: unknown[] = [];
      recordOrigin(out, at(node.range?.[0] ?? 0));
      node.items.forEach((item, index) => {
        out.push(build(item, doc));
        recordEntry(out, index, at((item as Node | null)?.range?.[0] ?? 0));
      });
      return out;
    }
    if (isScalar(node)) return node.value;
    return null;
  };
  for (const doc of list) {
    for (const error of doc.errors) {
      const pos = at(error.pos[0]);
      diagnostics.push({ severity: "error", message: error.message, ...pos, path: "" });
    }
  }
  if (list.length >= 2) {
    const [header, body] = list as [(typeof list)[number], (typeof list)[number]];
    return {
      header: build(header.contents, header),
      value: build(body.contents, body),
      diagnostics,
    };
  }
  const only = list[0];
  return { value: only ? build(only.contents, only) : null, diagnostics };
}

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

export function memorySource(files: MemoryFiles): RecordingSource {
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
  const source = memorySource(files);
  const { deps, calls } = testDeps(source, options.variables);
  if (options.limits) deps.limits = options.limits;
  if (options.now) deps.now = options.now;
  const result = await resolveIncludes(".gitlab-ci.yml", root, deps, options.inputs);
  return { ...result, reads: source.reads, calls };
}

export const errorsOf = (r: { diagnostics: Array<{ severity: string; message: string }> }) =>
  r.diagnostics.filter((d) => d.severity === "error").map((d) => d.message);
