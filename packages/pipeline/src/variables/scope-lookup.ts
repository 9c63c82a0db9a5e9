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
 *
 * Scopes that share most of their layers (every job of a pipeline has the pipeline's
 * predefined, global and given variables) are made from one `ScopeTemplate`: what depends on
 * the shared layers alone (each name's merged variables, whether their references form a
 * cycle) is worked out once per template, and each scope works out only what its own layers
 * change. Loops that run once per scope are indexed: a planner's scopes are made in a fresh
 * process, before the JIT has optimised them, where `for…of` costs an iterator per loop.
 */
import { mergeByPrecedence, isYamlSource, precedenceOf } from "./precedence.js";
import { expandReferences, sortAndExpandAll, variableReferences } from "./sort-expand.js";
import type { Variable } from "./types.js";

/** One layer of a scope, shared by every scope that includes it. */
export interface ScopeLayer {
  readonly variables: readonly Variable[];
  /** The layer's variables named `name`, in the layer's order, or undefined when it has none. */
  named(name: string): readonly Variable[] | undefined;
  /** Names of which some variable references a variable. */
  readonly referencingNames: readonly string[];
  /** How many of the variables reference a variable. */
  readonly referencingCount: number;
}

export interface ScopeValues {
  /** The value of a name after expansion, or undefined when the scope does not define it. */
  lookup: (name: string) => string | undefined;
  /** GitLab's `circular variable reference detected: …`; the lookup then gives raw values. */
  error?: string;
}

/** Marks the place of a layer that each scope of a template brings (`ScopeTemplate#values`). */
export const OWN_LAYER: unique symbol = Symbol("own layer");

/** Scopes of the same layers but for some, which each scope brings. */
export interface ScopeTemplate {
  /**
   * `scopeValues` of the template's layers with `own` in the `OWN_LAYER` places, in order.
   * Throws when `own` does not fill every place.
   */
  values(own: readonly ScopeLayer[]): ScopeValues;
}

/** Above this many referencing variables a scope is sorted whole (bounds the recursion). */
const MAX_REFERENCING = 256;

/** The merged variables of one name, the same in every scope that merges the same ones. */
interface SlotItems {
  /** In merged order (the YAML sources collapsed into their one winner). */
  readonly items: readonly Variable[];
  /** The index of the variable that references this name, or -1. */
  readonly selfReference: number;
}

/** The merged variables of one name in one scope, with what that scope found out about them. */
interface NameSlot extends SlotItems {
  /** Expanded values, by index, once worked out. */
  readonly expanded: Array<string | undefined>;
  /** Depth-first search state, by index: 0 unvisited, 1 open, 2 done. */
  state?: Uint8Array;
}

type SlotOf = (name: string) => NameSlot | null;

/**
 * The slots of one scope, by name: made on first use from `merged`, whose variables other
 * scopes may share, and kept with what this scope finds out about them.
 */
function scopeSlots(merged: (name: string) => SlotItems | null): SlotOf {
  const slots = new Map<string, NameSlot | null>();
  return (name) => {
    let slot = slots.get(name);
    if (slot === undefined) {
      const found = merged(name);
      slot = found && {
        items: found.items,
        selfReference: found.selfReference,
        expanded: new Array(found.items.length),
      };
      slots.set(name, slot);
    }
    return slot;
  };
}

/** `variables` as a layer: a large one is indexed by name when first asked, a small one searched. */
export function scopeLayer(variables: readonly Variable[]): ScopeLayer {
  return new Layer(variables);
}

/**
 * Up to this many variables a layer is searched rather than indexed: a job brings two small
 * layers (its predefined and its own YAML variables) and asks them for a few names.
 */
const SEARCHED_LAYER = 16;

class Layer implements ScopeLayer {
  readonly variables: readonly Variable[];
  readonly referencingNames: string[] = [];
  readonly referencingCount: number = 0;
  #byName?: Map<string, Variable[]>;

  constructor(variables: readonly Variable[]) {
    this.variables = variables;
    for (let i = 0; i < variables.length; i++) {
      const variable = variables[i] as Variable;
      if (referencesOf(variable).length === 0) continue;
      this.referencingCount++;
      if (!this.referencingNames.includes(variable.key)) this.referencingNames.push(variable.key);
    }
  }

  named(name: string): readonly Variable[] | undefined {
    const variables = this.variables;
    if (variables.length > SEARCHED_LAYER) return (this.#byName ??= this.#index()).get(name);
    let found: Variable[] | undefined;
    for (let i = 0; i < variables.length; i++) {
      const variable = variables[i] as Variable;
      if (variable.key === name) (found ??= []).push(variable);
    }
    return found;
  }

  #index(): Map<string, Variable[]> {
    const byName = new Map<string, Variable[]>();
    for (const variable of this.variables) {
      const list = byName.get(variable.key);
      if (list) list.push(variable);
      else byName.set(variable.key, [variable]);
    }
    return byName;
  }
}

/** The scope of `layers`, in that order, as `sortAndExpandAll(mergeByPrecedence(all))` sees it. */
export function scopeValues(layers: readonly ScopeLayer[]): ScopeValues {
  return scopeTemplate(layers).values([]);
}

/**
 * A template of the scopes made of `layers`, where each `OWN_LAYER` is a layer that every
 * scope brings: the shared layers are merged and checked for cycles once, for all its scopes.
 */
export function scopeTemplate(layers: readonly (ScopeLayer | typeof OWN_LAYER)[]): ScopeTemplate {
  return new Template(layers);
}

/** What a template knows of its shared layers: each name's merged variables, and cycles. */
class Template implements ScopeTemplate {
  readonly #layers: readonly (ScopeLayer | typeof OWN_LAYER)[];
  readonly #shared: readonly ScopeLayer[];
  readonly #ownPlaces: number;
  /** Merged variables of names that no own layer defines, by name. */
  readonly #sharedSlots = new Map<string, SlotItems | null>();
  /** How many variables of the shared layers reference one, and whether they are few enough and form no cycle. */
  #sharedGraph?: { readonly nodes: number; readonly acyclic: boolean };

  constructor(layers: readonly (ScopeLayer | typeof OWN_LAYER)[]) {
    this.#layers = layers;
    this.#shared = layers.filter((layer): layer is ScopeLayer => layer !== OWN_LAYER);
    this.#ownPlaces = layers.length - this.#shared.length;
  }

  values(own: readonly ScopeLayer[]): ScopeValues {
    if (own.length !== this.#ownPlaces) {
      throw new Error(`scope template takes ${this.#ownPlaces} own layers, not ${own.length}`);
    }
    const layers = own.length === 0 ? this.#shared : this.#fill(own);
    const slotOf = scopeSlots((name) =>
      definesIn(own, name) ? mergedSlot(layers, name) : this.#sharedSlot(name),
    );
    if (!this.#isAcyclic(layers, own, slotOf)) return sortedWhole(layers);
    return { lookup: lazyLookup(slotOf) };
  }

  /** The template's layers with `own` in its places. */
  #fill(own: readonly ScopeLayer[]): ScopeLayer[] {
    let next = 0;
    return this.#layers.map((layer) => (layer === OWN_LAYER ? (own[next++] as ScopeLayer) : layer));
  }

  #sharedSlot(name: string): SlotItems | null {
    let items = this.#sharedSlots.get(name);
    if (items === undefined) {
      items = mergedSlot(this.#shared, name);
      this.#sharedSlots.set(name, items);
    }
    return items;
  }

  /**
   * `isAcyclic` of a scope, from what is known of the shared layers. The own layers only add
   * variables to the shared layers' slots, or put a YAML variable in place of a shared one, so
   * the references between shared variables in a scope are some of those between the shared
   * layers alone. When those form no cycle, any cycle of the scope goes through a referencing
   * variable of an own layer, and looking for one from the own layers' names is enough.
   */
  #isAcyclic(layers: readonly ScopeLayer[], own: readonly ScopeLayer[], slotOf: SlotOf): boolean {
    const shared = this.#sharedReferences();
    let ownReferencing = 0;
    for (let i = 0; i < own.length; i++) ownReferencing += (own[i] as ScopeLayer).referencingCount;
    if (shared.acyclic && shared.nodes + ownReferencing <= MAX_REFERENCING) {
      if (ownReferencing === 0) return true;
      return !hasCycle(referencingNodes(own, slotOf), slotOf);
    }
    return own.length === 0 ? false : isAcyclic(layers, slotOf);
  }

  #sharedReferences(): { readonly nodes: number; readonly acyclic: boolean } {
    if (this.#sharedGraph === undefined) {
      // The template's own slots: the search leaves its state in them.
      const slotOf = scopeSlots((name) => this.#sharedSlot(name));
      const nodes = referencingNodes(this.#shared, slotOf);
      const acyclic =
        nodes.length === 0 || (nodes.length <= MAX_REFERENCING && !hasCycle(nodes, slotOf));
      this.#sharedGraph = { nodes: nodes.length, acyclic };
    }
    return this.#sharedGraph;
  }
}

/** Whether one of `layers` has a variable named `name`. */
function definesIn(layers: readonly ScopeLayer[], name: string): boolean {
  for (let i = 0; i < layers.length; i++) {
    if ((layers[i] as ScopeLayer).named(name) !== undefined) return true;
  }
  return false;
}

/** A lookup of the scope whose slots `slotOf` gives, expanding what it is asked for once. */
function lazyLookup(slotOf: SlotOf): (name: string) => string | undefined {
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
  return (name) => {
    const slot = slotOf(name);
    if (!slot) return undefined;
    return expand(slot, slot.selfReference >= 0 ? slot.selfReference : slot.items.length - 1);
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
function mergedSlot(layers: readonly ScopeLayer[], name: string): SlotItems | null {
  const below: Variable[] = [];
  const above: Variable[] = [];
  let yaml: Variable | undefined;
  let yamlRank = -1;
  for (let l = 0; l < layers.length; l++) {
    const list = (layers[l] as ScopeLayer).named(name);
    if (!list) continue;
    for (let i = 0; i < list.length; i++) {
      const variable = list[i] as Variable;
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
  return { items, selfReference };
}

/** The YAML sources' rank: every other source ranks below or above all of them. */
const YAML_RANK = precedenceOf("yaml-global");

/**
 * True when no two or more variables reference each other in a cycle (as `sortAndExpandAll`
 * finds with its strongly connected components), and few enough variables reference any.
 */
function isAcyclic(layers: readonly ScopeLayer[], slotOf: SlotOf): boolean {
  const nodes = referencingNodes(layers, slotOf);
  if (nodes.length === 0) return true;
  if (nodes.length > MAX_REFERENCING) return false;
  return !hasCycle(nodes, slotOf);
}

/** The referencing variables, in their merged slots, of the names that `layers` reference from. */
function referencingNodes(
  layers: readonly ScopeLayer[],
  slotOf: SlotOf,
): Array<[NameSlot, number]> {
  const nodes: Array<[NameSlot, number]> = [];
  const seen = new Set<string>();
  for (const layer of layers) {
    for (const name of layer.referencingNames) {
      if (seen.has(name)) continue;
      seen.add(name);
      const slot = slotOf(name);
      if (!slot) continue;
      for (let index = 0; index < slot.items.length; index++) {
        if (referencesOf(slot.items[index] as Variable).length > 0) nodes.push([slot, index]);
      }
    }
  }
  return nodes;
}

/** True when a depth-first search from `starts` comes back to a variable on its path. */
function hasCycle(starts: ReadonlyArray<[NameSlot, number]>, slotOf: SlotOf): boolean {
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
  for (const [slot, index] of starts) {
    if (slot.state?.[index] === 2) continue;
    if (!visit(slot, index)) return true;
  }
  return false;
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
