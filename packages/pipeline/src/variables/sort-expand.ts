/**
 * Resolving variables that reference other variables, as GitLab does with
 * `Gitlab::Ci::Variables::Collection#sort_and_expand_all`: the collection is ordered so that
 * every variable comes after the ones it references (a topological sort with Ruby's `TSort`),
 * each value is expanded once against what precedes it, and a reference cycle is reported as
 * `circular variable reference detected: ["A", "B"]` with nothing expanded.
 */
import { stronglyConnectedComponents } from "../graph/tsort.js";
import { rubyInspect } from "../ruby/inspect.js";
import { VariableSet } from "./collection.js";
import { mayReferenceVariables } from "./expand.js";
import type { Variable } from "./types.js";

const NAME = "[a-zA-Z_][a-zA-Z0-9_]*";

/**
 * The item-level reference pattern: like `expandVariables`'s, but `$$` and `%%` are matched
 * (and left alone) first, so `$$NAME` is not a reference, and `${}` is matched as nothing.
 */
function itemPattern(): RegExp {
  return new RegExp(`\\$\\$|%%|\\$(${NAME})|\\$\\{(${NAME})?\\}|%(${NAME})%`, "g");
}

/**
 * Names `value` references, in order, with repeats (GitLab's `Item#depends_on`). A raw variable
 * references nothing.
 */
export function variableReferences(variable: Pick<Variable, "value" | "raw">): string[] {
  if (variable.raw || !mayReferenceVariables(variable.value)) return [];
  const names: string[] = [];
  for (const match of variable.value.matchAll(itemPattern())) {
    const name = match[1] ?? match[2] ?? match[3];
    if (name !== undefined) names.push(name);
  }
  return names;
}

export interface SortAndExpandOptions {
  /** Keep references to unknown variables as written instead of removing them. */
  keepUndefined?: boolean;
  /**
   * Replace references to file-type variables with their content (default `true`). The runner
   * payload uses `false`: the runner expands them to the file's path.
   */
  expandFileRefs?: boolean;
  /**
   * Replace references to raw variables with their (unexpanded) value (default `true`). The
   * runner payload uses `false`, so that the runner, which knows the variable is raw, inserts it.
   */
  expandRawRefs?: boolean;
}

/**
 * The options GitLab uses for the variables it sends to the runner
 * (`Ci::BuildRunnerPresenter#runner_variables`): unknown, file and raw references are left for
 * the runner, which knows the file paths and which variables are raw.
 */
export const RUNNER_EXPANSION: Readonly<SortAndExpandOptions> = Object.freeze({
  keepUndefined: true,
  expandFileRefs: false,
  expandRawRefs: false,
});

export interface SortAndExpandResult {
  /** The expanded variables in dependency order; on a cycle, the input unchanged. */
  variables: VariableSet;
  /** GitLab's message, e.g. `circular variable reference detected: ["A", "B"], ["C", "D"]`. */
  error?: string;
  /** The keys of every cycle, each in the order GitLab names them. */
  cycles?: string[][];
}

/**
 * Expands every variable's references to other variables, as GitLab does before it evaluates a
 * job (`Collection#sort_and_expand_all`). Each variable is expanded once, in dependency order,
 * against the variables already placed, so a reference sees the winning value of its target
 * (`PATH: $PATH:/bin` in a higher layer sees the lower layer's `PATH`). Raw variables are kept
 * as they are. Unknown references become empty unless `keepUndefined`. A cycle of two or more
 * variables is an error and nothing is expanded; a variable referencing only itself is not a
 * cycle (it sees the lower-precedence value, or nothing).
 */
export function sortAndExpandAll(
  input: Iterable<Variable>,
  options: SortAndExpandOptions = {},
): SortAndExpandResult {
  const original = input instanceof VariableSet ? input : new VariableSet(input);
  const items = original.items;
  const indexesByKey = new Map<string, number[]>();
  items.forEach((item, index) => {
    const list = indexesByKey.get(item.key);
    if (list) list.push(index);
    else indexesByKey.set(item.key, [index]);
  });
  const children = (node: number): number[] =>
    variableReferences(items[node]!).flatMap((name) => indexesByKey.get(name) ?? []);

  const components = stronglyConnectedComponents(items.length, children);
  const cycles = components
    .filter((component) => component.length > 1)
    .map((component) => component.map((index) => items[index]!.key));
  if (cycles.length > 0) {
    const named = cycles.map((keys) => rubyInspect(keys)).join(", ");
    return { variables: original, error: `circular variable reference detected: ${named}`, cycles };
  }

  const placed: Variable[] = [];
  const winners = new Map<string, Variable>();
  for (const [index] of components) {
    const item = items[index!]!;
    const expandable = !item.raw && mayReferenceVariables(item.value);
    const value = expandable ? expandItem(item.value, winners, options) : item.value;
    const next = value === item.value ? item : { ...item, value };
    placed.push(next);
    winners.set(next.key, next);
  }
  return { variables: new VariableSet(placed) };
}

/** One pass of GitLab's `Collection#expand_value` over the variables placed so far. */
function expandItem(
  value: string,
  placed: ReadonlyMap<string, Variable>,
  options: SortAndExpandOptions,
): string {
  const expandFileRefs = options.expandFileRefs ?? true;
  const expandRawRefs = options.expandRawRefs ?? true;
  return value.replace(
    itemPattern(),
    (match, dollar?: string, braced?: string, percent?: string) => {
      const key = dollar ?? braced ?? percent;
      if (key === undefined) return match; // `$$`, `%%` or `${}`: left for the runner
      const found = placed.get(key);
      if (!found) return options.keepUndefined ? match : "";
      if (found.file) return expandFileRefs ? found.value : match;
      if (found.raw) return expandRawRefs ? found.value : match;
      return found.value;
    },
  );
}

/**
 * `expandItem` with the default options (unknown references become empty; file and raw
 * variables give their value), where `valueOf` gives the value each name expands to.
 */
export function expandReferences(
  value: string,
  valueOf: (name: string) => string | undefined,
): string {
  return value.replace(
    itemPattern(),
    (match, dollar?: string, braced?: string, percent?: string) => {
      const key = dollar ?? braced ?? percent;
      if (key === undefined) return match;
      return valueOf(key) ?? "";
    },
  );
}

/** GitLab's job error for a cycle: `build: circular variable reference detected: ["A", "B"]`. */
export function jobVariableError(jobName: string, error: string): string {
  return `${jobName}: ${error}`;
}
