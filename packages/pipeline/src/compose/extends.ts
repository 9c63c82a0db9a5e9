/**
 * `extends`, as GitLab's `Gitlab::Ci::Config::Extendable` resolves it after includes and before
 * `!reference` tags: every top-level mapping with `extends` becomes the deep merge of its bases
 * (in the order listed, each base itself extended first) with its own keys on top. The
 * `extends` key stays in the result, as it does in GitLab's merged YAML.
 * Docs: https://docs.gitlab.com/ci/yaml/#extends
 */
import { type Diagnostic, errorAt } from "../diagnostics.js";
import { copyOrigin, positionOf } from "../source-map.js";
import { type ConfigMap, deepMerge, deepMergeAll, isMap, setEntry } from "./deep-merge.js";

/** GitLab's `Extendable::Entry::MAX_NESTING_LEVELS`: a chain deeper than this is refused. */
export const MAX_EXTENDS_NESTING = 10;

export interface ExtendsResult {
  config: ConfigMap;
  diagnostics: Diagnostic[];
}

export function applyExtends(config: ConfigMap, file: string): ExtendsResult {
  const diagnostics: Diagnostic[] = [];
  const done = new Map<string, { value: ConfigMap }>();
  /** For each extended key, its longest chain of extending bases, itself first. */
  const chains = new Map<string, string[]>();
  const failed = new Set<string>();

  const fail = (key: string, message: string) => {
    failed.add(key);
    // Reported at the entry's `extends:` key, where the fix belongs.
    const entry = config[key];
    diagnostics.push(
      errorAt(message, key, positionOf(entry, "extends") ?? positionOf(config, key), file),
    );
  };

  /**
   * The deep merge of each list of bases, once: jobs written from the same templates
   * (`extends: [.build, .rules]`) share it, and each merges only its own keys on top. The
   * result is the same as merging all at once (deepMergeAll is a left fold of deepMerge).
   */
  const merges = new Map<string, ConfigMap>();
  const mergedBases = (names: string[], extended: ConfigMap[]): ConfigMap => {
    if (extended.length === 1) return extended[0]!;
    const key = names.join("\u0000");
    let merged = merges.get(key);
    if (!merged) {
      merged = deepMergeAll(extended);
      merges.set(key, merged);
    }
    return merged;
  };

  const extend = (key: string, ancestors: string[]): ConfigMap | undefined => {
    const value = config[key];
    if (!isMap(value) || !Object.hasOwn(value, "extends")) return isMap(value) ? value : undefined;
    if (failed.has(key)) return undefined;
    const cached = done.get(key);
    if (cached) {
      // Already extended: its longest chain tells whether this deeper visit is too deep,
      // without walking the chain again (a diamond of bases would make that exponential).
      const chain = chains.get(key) ?? [key];
      if (ancestors.length + chain.length - 1 > MAX_EXTENDS_NESTING) {
        fail(
          chain[MAX_EXTENDS_NESTING + 1 - ancestors.length] ?? key,
          `${chain[MAX_EXTENDS_NESTING + 1 - ancestors.length] ?? key}: nesting too deep in \`extends\``,
        );
        return undefined;
      }
      return cached.value;
    }

    const bases = extendsKeys(value.extends);
    const unknown = bases.filter((base) => !Object.hasOwn(config, base));
    if (unknown.length > 0) {
      fail(key, `${key}: unknown keys in \`extends\` (${unknown.join(", ")})`);
      return undefined;
    }
    const invalid = bases.filter((base) => !isMap(config[base]));
    if (invalid.length > 0) {
      fail(key, `${key}: invalid base hashes in \`extends\` (${invalid.join(", ")})`);
      return undefined;
    }
    if (ancestors.length > MAX_EXTENDS_NESTING) {
      fail(key, `${key}: nesting too deep in \`extends\``);
      return undefined;
    }
    if (ancestors.includes(key)) {
      fail(key, `${key}: circular dependency detected in \`extends\``);
      return undefined;
    }

    const extendedBases: ConfigMap[] = [];
    let longest: string[] = [];
    for (const base of bases) {
      const extended = extend(base, [...ancestors, key]);
      if (!extended) {
        failed.add(key);
        return undefined;
      }
      extendedBases.push(extended);
      const baseChain = chains.get(base) ?? [];
      if (baseChain.length > longest.length) longest = baseChain;
    }
    const final = deepMerge(mergedBases(bases, extendedBases), value);
    done.set(key, { value: final });
    chains.set(key, [key, ...longest]);
    return final;
  };

  // Grown key by key, not copied with a spread and then overwritten: V8 gives a spread copy of
  // a large mapping a fixed layout, which each store of a differently shaped value rewrites
  // whole (quadratic in the number of keys); an object grown key by key becomes a dictionary.
  const result: ConfigMap = {};
  for (const key of Object.keys(config)) setEntry(result, key, extend(key, []) ?? config[key]);
  copyOrigin(config, result);
  return { config: result, diagnostics };
}

function extendsKeys(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.map((item) => String(item));
  return [];
}
