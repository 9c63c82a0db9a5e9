/**
 * Where each mapping and sequence of a loaded configuration came from.
 *
 * The YAML loader registers every object it builds; code that builds new objects from
 * old ones (extends, default, include merges) copies the positions across, so that a
 * diagnostic about the final configuration still names the file, line and column the
 * user wrote. Keys are held weakly: nothing here outlives the configuration it describes.
 */
import type { SourcePosition } from "./diagnostics.js";

interface NodeOrigin {
  /** Where the mapping or sequence itself starts. */
  self: SourcePosition;
  /** Where each item of a sequence starts, by index (made on the first one). */
  items?: SourcePosition[];
  /** Where each other key starts: a mapping's keys (made on the first one). */
  keys?: Map<string | number, SourcePosition>;
  /** Origins to consult for keys not recorded here (a merged object reads through to its source). */
  fallback?: NodeOrigin;
}

const origins = new WeakMap<object, NodeOrigin>();

/** A key kept in `items`: a valid array index. Any other key goes to `keys`. */
function isIndex(key: string | number): key is number {
  return typeof key === "number" && Number.isInteger(key) && key >= 0 && key < 2 ** 31;
}

function setLocal(origin: NodeOrigin, key: string | number, at: SourcePosition): void {
  if (isIndex(key)) (origin.items ??= [])[key] = at;
  else (origin.keys ??= new Map()).set(key, at);
}

function getLocal(origin: NodeOrigin, key: string | number): SourcePosition | undefined {
  return isIndex(key) ? origin.items?.[key] : origin.keys?.get(key);
}

export function recordOrigin(node: object, self: SourcePosition): void {
  origins.set(node, { self });
}

export function recordEntry(node: object, key: string | number, at: SourcePosition): void {
  const origin = origins.get(node);
  if (origin) setLocal(origin, key, at);
}

/** Position of `node` itself, or of one of its keys/items when `key` is given. */
export function positionOf(node: unknown, key?: string | number): SourcePosition | undefined {
  if (node === null || typeof node !== "object") return undefined;
  const origin = origins.get(node);
  if (!origin) return undefined;
  if (key === undefined) return origin.self;
  return entryOf(origin, key) ?? origin.self;
}

function entryOf(origin: NodeOrigin, key: string | number): SourcePosition | undefined {
  for (let at: NodeOrigin | undefined = origin; at; at = at.fallback) {
    const found = getLocal(at, key);
    if (found) return found;
  }
  return undefined;
}

/** Where key `key` of `node` was recorded (through the objects it reads through to), if it was. */
export function entryPosition(node: object, key: string | number): SourcePosition | undefined {
  const origin = origins.get(node);
  return origin ? entryOf(origin, key) : undefined;
}

/** Whether positions were recorded for `node`. */
export function hasOrigin(node: object): boolean {
  return origins.has(node);
}

/** Position of the value at `path` below `root`, falling back to the nearest known ancestor. */
export function positionAtPath(
  root: unknown,
  path: ReadonlyArray<string | number>,
): SourcePosition | undefined {
  let node: unknown = root;
  let best = positionOf(root);
  for (const key of path) {
    if (node === null || typeof node !== "object") break;
    best = positionOf(node, key) ?? best;
    node = (node as Record<string | number, unknown>)[key];
  }
  return best;
}

/**
 * Gives `to` the positions of `from` (used when a merge builds a new object). Positions are
 * read through, not copied, so merging large configurations stays cheap.
 */
export function copyOrigin(from: object, to: object): void {
  const origin = origins.get(from);
  if (!origin) return;
  const existing = origins.get(to);
  if (!existing) {
    origins.set(to, { self: origin.self, fallback: origin });
    return;
  }
  const chain: NodeOrigin[] = [];
  for (let at: NodeOrigin | undefined = origin; at; at = at.fallback) chain.unshift(at);
  for (const link of chain) {
    link.items?.forEach((at, index) => setLocal(existing, index, at));
    if (link.keys) for (const [key, at] of link.keys) setLocal(existing, key, at);
  }
}

/** Gives each of `keys` of `to` the position it had in `from` (copyEntryOrigin for many). */
export function copyEntryOrigins(
  from: object,
  to: object,
  keys: ReadonlyArray<string | number>,
): void {
  const origin = origins.get(from);
  if (!origin || keys.length === 0) return;
  let target = origins.get(to);
  for (const key of keys) {
    const at = entryOf(origin, key);
    if (!at) continue;
    if (!target) {
      target = { self: origin.self };
      origins.set(to, target);
    }
    setLocal(target, key, at);
  }
}

/** Gives key `key` of `to` the position it had in `from`. */
export function copyEntryOrigin(from: object, to: object, key: string | number): void {
  copyEntryOrigins(from, to, [key]);
}
