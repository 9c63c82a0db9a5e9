/** JSON Pointer helpers for the paths Ajv reports (`/build/script/0`). */

export type Segment = string | number;

/** The unescaped segments of a JSON Pointer; `""` is the document itself. */
export function decodePointer(pointer: string): string[] {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~"));
}

export function isAtOrBelow(pointer: string, base: string): boolean {
  return pointer === base || pointer.startsWith(`${base}/`);
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Segments with array indexes as numbers, as the source map records sequence items. */
export function typedSegments(root: unknown, segments: readonly string[]): Segment[] {
  const out: Segment[] = [];
  let node = root;
  for (const segment of segments) {
    const key: Segment = Array.isArray(node) ? Number(segment) : segment;
    out.push(key);
    node = childOf(node, key);
  }
  return out;
}

export function valueAt(root: unknown, segments: readonly Segment[]): unknown {
  let node = root;
  for (const segment of segments) node = childOf(node, segment);
  return node;
}

function childOf(node: unknown, key: Segment): unknown {
  if (Array.isArray(node)) return node[Number(key)];
  if (isPlainObject(node)) return node[String(key)];
  return undefined;
}

/**
 * Where `segments` lie in document order: each level's key or item index, so that sorting by
 * this vector lists findings as they appear in the file even when no positions are known.
 */
export function documentOrder(root: unknown, segments: readonly Segment[]): number[] {
  const order: number[] = [];
  let node = root;
  for (const segment of segments) {
    if (Array.isArray(node)) order.push(Number(segment));
    else if (isPlainObject(node)) order.push(Object.keys(node).indexOf(String(segment)));
    else break;
    node = childOf(node, segment);
  }
  return order;
}

export function compareOrder(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return a.length - b.length;
}
