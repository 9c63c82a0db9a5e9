/**
 * The value each name of a scope takes after GitLab's `Collection#sort_and_expand_all`
 * (`sort-expand.ts`), worked out only for the names that are looked up, and for what they
 * reference. A planner looks up a handful of names per job in scopes of a hundred variables,
 * most of which reference nothing.
 *
 * A scope is the variables of some layers in order (say a job's predefined variables, the
 * pipeline's, then the job's YAML), merged as `mergeByPrecedence` merges them. When the
 * references form no cycle, the sort places the variables of one name in merged order, except
 * that a variable referencing its own name comes after the others of that name: it depends on
 * all of them (two such variables of one name would form a cycle). So, without a cycle:
 *
 * - the value of a name is the expanded value of its self-referencing variable if it has one,
 *   else of its last variable in merged order (`VariableSet#value` on the sorted set);
 * - a variable expands each reference to the value, so defined, of the referenced name, leaving
 *   out the variable being expanded (it sees the variables of its own name placed before it).
 *
 * A scope with a cycle, or with very many referencing variables, is sorted and expanded whole,
 * which gives GitLab's cycle message.
 */
import { mergeByPrecedence, isYamlSource, precedenceOf } from "./precedence.js";
import { expandReferences, sortAndExpandAll, variableReferences } from "./sort-expand.js";
import type { Variable } from "./types.js";

/** One layer of a scope, indexed once and shared by every scope that includes it. */
export interface ScopeLayer {
  readonly variables: readonly Variable[];
  /** Each name's variables, in the layer's order. */
  readonly byName: ReadonlyMap<string, readonly Variable[]>;
  /** Names of which some variable references a variable. */
  readonly referencingNames: readonly string[];
}

export interface ScopeValues {
  /** The value of a name after expansion, or undefined when the scope does not define it. */
  lookup: (name: string) => string | undefined;
  /** GitLab's `circular variable reference detected: …`; the lookup then gives raw values. */
  error?: string;
}

/** Above this many referencing variables a scope is sorted whole (bounds the recursion). */
const MAX_REFERENCING = 256;

/** The merged variables of one name and what is known of them. */
interface NameSlot {
  /** In merged order (the YAML sources collapsed into their one winner). */
  readonly items: readonly Variable[];
  /** The index of the variable that references this name, or -1. */
  readonly selfReference: number;
  /** Expanded values, by index, once worked out. */
  readonly expanded: Array<string | undefined>;
  /** Depth-first search state, by index: 0 unvisited, 1 open, 2 done. */
  state?: Uint8Array;
}

export function scopeLayer(variables: readonly Variable[]): ScopeLayer {
  const byName = new Map<string, Variable[]>();
  const referencingNames: string[] = [];
  for (const variable of variables) {
    const list = byName.get(variable.key);
    if (list) list.push(variable);
    else byName.set(variable.key, [variable]);
    if (referencesOf(variable).length > 0 && !referencingNames.includes(variable.key)) {
      referencingNames.push(variable.key);
    }
  }
  return { variables, byName, referencingNames };
}

/** The scope of `layers`, in that order, as `sortAndExpandAll(mergeByPrecedence(all))` sees it. */
export function scopeValues(layers: readonly ScopeLayer[]): ScopeValues {
  const slots = new Map<string, NameSlot | null>();
  const slotOf = (name: string): NameSlot | null => {
    let slot = slots.get(name);
    if (slot === undefined) {
      slot = mergedSlot(layers, name);
      slots.set(name, slot);
    }
    return slot;
  };
  if (!isAcyclic(layers, slotOf)) return sortedWhole(layers);

  const expand = (slot: NameSlot, index: number): string => {
    const known = slot.expanded[index];
    if (known !== undefined) return known;
    const item = slot.items[index] as Variable;
    const value =
      referencesOf(item).length === 0
        ? item.value
        : expandReferences(item.value, (name) => {
            const target = slotOf(name);
            if (!target) return undefined;
            const winner = winnerOf(target, slot, index);
            return winner < 0 ? undefined : expand(target, winner);
          });
    slot.expanded[index] = value;
    return value;
  };
  return {
    lookup: (name) => {
      const slot = slotOf(name);
      if (!slot) return undefined;
      return expand(slot, slot.selfReference >= 0 ? slot.selfReference : slot.items.length - 1);
    },
  };
}

/**
 * The variable of `slot` a reference from variable `index` of `from` sees: the one placed last
 * before it, which is the self-referencing one, or else the last one, not counting itself.
 */
function winnerOf(slot: NameSlot, from: NameSlot, index: number): number {
  const self = slot === from ? index : -1;
  if (slot.selfReference >= 0 && slot.selfReference !== self) return slot.selfReference;
  for (let at = slot.items.length - 1; at >= 0; at--) if (at !== self) return at;
  return -1;
}

/** The variables of `name` as `mergeByPrecedence` orders them, or null when there are none. */
function mergedSlot(layers: readonly ScopeLayer[], name: string): NameSlot | null {
  const below: Variable[] = [];
  const above: Variable[] = [];
  let yaml: Variable | undefined;
  let yamlRank = -1;
  for (const layer of layers) {
    const list = layer.byName.get(name);
    if (!list) continue;
    for (const variable of list) {
      const rank = precedenceOf(variable.source);
      if (rank < 0) continue;
      if (isYamlSource(variable.source)) {
        // One list for the YAML sources: the highest source wins, then the last given.
        if (rank >= yamlRank) {
          yaml = variable;
          yamlRank = rank;
        }
      } else if (rank < YAML_RANK) below.push(variable);
      else above.push(variable);
    }
  }
  const byRank = (a: Variable, b: Variable) => precedenceOf(a.source) - precedenceOf(b.source);
  if (below.length > 1) below.sort(byRank);
  if (above.length > 1) above.sort(byRank);
  const items = yaml
    ? [...below, yaml, ...above]
    : below.length === 0
      ? above
      : [...below, ...above];
  if (items.length === 0) return null;
  const selfReference = items.findIndex((item) => referencesOf(item).includes(name));
  return { items, selfReference, expanded: new Array(items.length) };
}

/** The YAML sources' rank: every other source ranks below or above all of them. */
const YAML_RANK = precedenceOf("yaml-global");

/**
 * True when no two or more variables reference each other in a cycle (as `sortAndExpandAll`
 * finds with its strongly connected components), and few enough variables reference any.
 */
function isAcyclic(
  layers: readonly ScopeLayer[],
  slotOf: (name: string) => NameSlot | null,
): boolean {
  const nodes: Array<[NameSlot, number]> = [];
  const seen = new Set<string>();
  for (const layer of layers) {
    for (const name of layer.referencingNames) {
      if (seen.has(name)) continue;
      seen.add(name);
      const slot = slotOf(name);
      if (!slot) continue;
      slot.items.forEach((item, index) => {
        if (referencesOf(item).length > 0) nodes.push([slot, index]);
      });
    }
  }
  if (nodes.length === 0) return true;
  if (nodes.length > MAX_REFERENCING) return false;
  // Only referencing variables can be on a cycle; an edge from a variable to itself is none.
  const visit = (slot: NameSlot, index: number): boolean => {
    const state = (slot.state ??= new Uint8Array(slot.items.length));
    state[index] = 1;
    for (const name of referencesOf(slot.items[index] as Variable)) {
      const target = slotOf(name);
      if (!target) continue;
      for (let at = 0; at < target.items.length; at++) {
        if (
          (target === slot && at === index) ||
          referencesOf(target.items[at] as Variable).length === 0
        ) {
          continue;
        }
        const targetState = (target.state ??= new Uint8Array(target.items.length));
        if (targetState[at] === 1) return false;
        if (targetState[at] === 0 && !visit(target, at)) return false;
      }
    }
    state[index] = 2;
    return true;
  };
  for (const [slot, index] of nodes) {
    if (slot.state?.[index] === 2) continue;
    if (!visit(slot, index)) return false;
  }
  return true;
}

function sortedWhole(layers: readonly ScopeLayer[]): ScopeValues {
  const merged = mergeByPrecedence(layers.flatMap((layer) => layer.variables));
  const { variables, error } = sortAndExpandAll(merged);
  const lookup = (name: string) => variables.value(name);
  return error === undefined ? { lookup } : { lookup, error };
}

/** Names a variable references (`variableReferences`), shared between scopes by value. */
const referenceCache = new Map<string, readonly string[]>();
const REFERENCE_CACHE_LIMIT = 10_000;
const NONE: readonly string[] = Object.freeze([]);

function referencesOf(variable: Variable): readonly string[] {
  if (variable.raw) return NONE;
  const { value } = variable;
  if (!value.includes("$") && !value.includes("%")) return NONE;
  let names = referenceCache.get(value);
  if (names === undefined) {
    names = Object.freeze(variableReferences({ value }));
    if (referenceCache.size >= REFERENCE_CACHE_LIMIT) referenceCache.clear();
    referenceCache.set(value, names);
  }
  return names;
}
