/**
 * An ordered collection of variables with GitLab's lookup rule: the same key may appear many
 * times (one per source), and the last occurrence wins (`Gitlab::Ci::Variables::Collection#[]`).
 */
import type { LookupResult, VariableLookup } from "./expand.js";
import type { Variable } from "./types.js";

export class VariableSet implements Iterable<Variable> {
  /** Every variable, lowest precedence first; later entries override earlier ones. */
  readonly items: readonly Variable[];
  readonly #byKey = new Map<string, Variable[]>();

  constructor(items: Iterable<Variable> = []) {
    this.items = Object.freeze([...items]);
    for (const item of this.items) {
      const list = this.#byKey.get(item.key);
      if (list) list.push(item);
      else this.#byKey.set(item.key, [item]);
    }
  }

  [Symbol.iterator](): Iterator<Variable> {
    return this.items[Symbol.iterator]();
  }

  get size(): number {
    return this.items.length;
  }

  /** The winning variable for `key` (the last one), or `undefined`. */
  get(key: string): Variable | undefined {
    return this.#byKey.get(key)?.at(-1);
  }

  /** Every variable with `key`, lowest precedence first (for "overridden by" explanations). */
  all(key: string): readonly Variable[] {
    return this.#byKey.get(key) ?? [];
  }

  has(key: string): boolean {
    return this.#byKey.has(key);
  }

  /** The winning value for `key`, or `undefined`. */
  value(key: string): string | undefined {
    return this.get(key)?.value;
  }

  /** Keys in order of first appearance. */
  keys(): string[] {
    return [...this.#byKey.keys()];
  }

  /** One variable per key, the winning one, in order of first appearance (GitLab's `to_hash`). */
  resolved(): Variable[] {
    return this.keys().map((key) => this.get(key)!);
  }

  /** Winning values as a record (null prototype, so keys like `__proto__` are safe). */
  toRecord(): Record<string, string> {
    const record: Record<string, string> = Object.create(null);
    for (const item of this.items) record[item.key] = item.value;
    return record;
  }

  /** A new set with `more` appended (they take precedence over what is here). */
  concat(more: Iterable<Variable>): VariableSet {
    return new VariableSet([...this.items, ...more]);
  }

  /** A lookup for `expandVariables`: the winning value, with its file and masked flags. */
  readonly lookup: VariableLookup = (key: string): LookupResult | undefined => {
    const found = this.get(key);
    return (
      found && { value: found.value, file: found.file === true, masked: found.masked === true }
    );
  };
}
