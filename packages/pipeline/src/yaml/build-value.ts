/**
 * Builds the value of one YAML document from its node tree (`yaml-node.ts`), the way Psych's
 * `ToRuby` visitor builds Ruby objects under `YAML.safe_load(..., aliases: true)`:
 *
 * - every mapping becomes a plain object and every sequence an array, registered with their
 *   positions in the source map; keys become Ruby's `to_s` of the loaded key;
 * - an alias is a deep copy of its anchor's value as it was when loaded (Psych shares the
 *   object; copies keep later stages from editing two places at once);
 * - merge keys follow `revive_hash`: `<<` merges a mapping (or each mapping of a sequence,
 *   earlier ones winning) with `Hash#merge!`, so merged keys overwrite keys written before the
 *   `<<` and are overwritten by keys written after it; a `<<` whose value is not a mapping, or
 *   not a sequence of only mappings, stays an ordinary `<<` key; a quoted `'<<'` merges too,
 *   only `!!str <<` does not.
 *
 * Limits: a container deeper than `maxDepth`, an alias to an anchor still being built (Psych
 * makes a cyclic object, which DeepSize finds infinitely deep) or more than
 * `maxAliasExpansion` copied nodes marks the document too big; building then goes on without
 * expanding aliases, so that Psych's own errors, which GitLab reports first, are still found.
 */
import { isMap, setEntry } from "../compose/deep-merge.js";
import type { SourcePosition } from "../diagnostics.js";
import { floatToS, inspectString, rubyInspect, rubyToS } from "../ruby/inspect.js";
import { copyEntryOrigin, copyOrigin, recordEntry, recordOrigin } from "../source-map.js";
import { copyKeyClass, recordKeyClass } from "./key-classes.js";
import type { YamlLimits } from "./limits.js";
import { LoadError } from "./load-error.js";
import { isFloatText, isPlainWord, tokenizePlain } from "./psych-scalar.js";
import { mappingKind, REFERENCE_TAG, sequenceKind, taggedScalar } from "./psych-tags.js";
import { ReferenceTag } from "./reference-tag.js";
import type { MappingNode, ScalarNode, ScalarStyle, SequenceNode, YamlNode } from "./yaml-node.js";
import { YamlSymbol } from "./yaml-symbol.js";

const STR_TAG = "tag:yaml.org,2002:str";

interface Anchor {
  value: unknown;
  building: boolean;
  /** The parser's own value for the anchored node (js-yaml's, to check what an alias names). */
  source?: unknown;
  /** How deep the anchored value nests, and its estimated size (js-yaml path; -1: unknown). */
  height?: number;
  size?: number;
}

export interface BuildContext {
  /** The document's text (one piece of the file). */
  readonly text: string;
  /** Absolute position of an offset into the document's text. */
  readonly position: (offset: number) => SourcePosition;
  readonly limits: YamlLimits;
  readonly anchors: Map<string, Anchor>;
  /** Nodes copied by aliases and merges so far. */
  copied: number;
  /** Where the document first went over a limit. */
  tooBig: SourcePosition | undefined;
  /** Plain scalars seen so far and their values (keys and values repeat a lot). */
  readonly plain: Map<string, unknown>;
}

export function newBuildContext(
  text: string,
  position: (offset: number) => SourcePosition,
  limits: YamlLimits,
): BuildContext {
  return {
    text,
    position,
    limits,
    anchors: new Map(),
    copied: 0,
    tooBig: undefined,
    plain: new Map(),
  };
}

function startOf(
  ctx: BuildContext,
  node: YamlNode | null,
  fallback?: SourcePosition,
): SourcePosition {
  return node ? ctx.position(node.start) : (fallback ?? ctx.position(0));
}

function markTooBig(ctx: BuildContext, at: SourcePosition): void {
  ctx.tooBig ??= at;
}

function checkDepth(ctx: BuildContext, level: number, at: SourcePosition): void {
  if (level > ctx.limits.maxDepth) markTooBig(ctx, at);
}

/** The value of `node`; `level` is the depth a collection here would have (root: 1). */
export function buildNode(ctx: BuildContext, node: YamlNode | null, level: number): unknown {
  if (node === null) return null;
  try {
    switch (node.kind) {
      case "alias":
        return expandAlias(ctx, node.name, startOf(ctx, node), level);
      case "scalar":
        return buildScalar(ctx, node);
      case "sequence":
        return buildSequence(ctx, node, level);
      case "mapping":
        return buildMapping(ctx, node, level);
    }
  } catch (error) {
    if (error instanceof LoadError && !error.position) error.position = startOf(ctx, node);
    throw error;
  }
}

function register(ctx: BuildContext, name: string | undefined, value: unknown): Anchor | undefined {
  if (!name) return undefined;
  const anchor = { value, building: false };
  ctx.anchors.set(name, anchor);
  return anchor;
}

/** What the builder needs to know of a scalar: its tag, style and text. */
export interface ScalarFacts {
  tag?: string | undefined;
  style: ScalarStyle;
  text: string;
}

/**
 * The value of a scalar starting at offset `start` and ending at `end`. libyaml keeps only the
 * line breaks that are there: a block scalar whose last line ends the file without a newline
 * has no final newline (the parsers add one).
 */
export function scalarValue(
  ctx: BuildContext,
  tag: string | undefined,
  style: ScalarStyle,
  source: string,
  start: number,
  end: number,
): unknown {
  let text = source;
  if (
    style === "block" &&
    /^[ \t]*$/.test(ctx.text.slice(end)) &&
    !/[\n\r][ \t]*$/.test(ctx.text)
  ) {
    text = text.replace(/\n$/, "");
  }
  if (tag === REFERENCE_TAG) {
    return new ReferenceTag([], ctx.position(start), text === "" ? "nil" : inspectString(text));
  }
  if (tag) return taggedScalar(tag, text);
  if (style !== "plain") return text;
  // Words are quick to read; other plain scalars (numbers, `.hidden`, `$VAR`) are remembered.
  if (isPlainWord(text)) return text;
  const first = text.charCodeAt(0) | 0x20;
  if (first >= 0x61 && first <= 0x7a) return tokenizePlain(text);
  let value = ctx.plain.get(text);
  if (value === undefined) {
    value = tokenizePlain(text);
    // A Symbol is an object: each occurrence gets its own.
    if (!(value instanceof YamlSymbol)) ctx.plain.set(text, value);
  }
  return value;
}

/** A key Psych loaded as a Float: it prints as `Float#to_s` (`1.0`), which a number cannot. */
class FloatKey {
  constructor(readonly value: number) {}
}

function keyOf(key: unknown, scalar: ScalarFacts | undefined): unknown {
  if (typeof key !== "number" || !scalar) return key;
  const float = scalar.tag
    ? scalar.tag === "tag:yaml.org,2002:float" || scalar.tag === "!float"
    : scalar.style === "plain" && isFloatText(scalar.text);
  return float ? new FloatKey(key) : key;
}

function buildScalar(ctx: BuildContext, node: ScalarNode): unknown {
  const value = scalarValue(ctx, node.tag, node.style, node.text, node.start, node.end);
  register(ctx, node.anchor, value);
  return value;
}

function expandAlias(ctx: BuildContext, name: string, at: SourcePosition, level: number): unknown {
  const anchor = ctx.anchors.get(name);
  if (!anchor) throw new LoadError(`Unknown alias: ${name}`);
  if (ctx.tooBig) return null;
  if (anchor.building) {
    markTooBig(ctx, at);
    return null;
  }
  return copyValue(ctx, anchor.value, level, at);
}

/** A copy of an anchored value for an alias at `at`, counted against the limits. */
export function copyValue(
  ctx: BuildContext,
  value: unknown,
  level: number,
  at: SourcePosition,
): unknown {
  ctx.copied += 1;
  if (ctx.copied > ctx.limits.maxAliasExpansion) markTooBig(ctx, at);
  if (ctx.tooBig) return null;
  if (value instanceof ReferenceTag) {
    return new ReferenceTag([...value.path], value.position, value.invalid);
  }
  if (Array.isArray(value) || isMap(value)) checkDepth(ctx, level, at);
  if (ctx.tooBig) return null;
  if (Array.isArray(value)) {
    const copy = value.map((item) => copyValue(ctx, item, level + 1, at));
    copyOrigin(value, copy);
    return copy;
  }
  if (isMap(value)) {
    const copy: Record<string, unknown> = {};
    copyOrigin(value, copy);
    for (const key of Object.keys(value)) {
      setEntry(copy, key, copyValue(ctx, value[key], level + 1, at));
      copyKeyClass(value, copy, key);
    }
    return copy;
  }
  return value;
}

function buildSequence(ctx: BuildContext, node: SequenceNode, level: number): unknown {
  const at = startOf(ctx, node);
  const kind = sequenceKind(node.tag);
  if (kind === "reference") {
    // Psych does not register a tagged sequence's anchor: an alias to it is unknown.
    return referenceFromSequence(
      node.items.map((item) => buildNode(ctx, item, level + 1)),
      at,
    );
  }
  if (kind === "omap") return buildOmap(ctx, node, level, at);
  const list: unknown[] = [];
  recordOrigin(list, at);
  checkDepth(ctx, level, at);
  const anchor = register(ctx, node.anchor, list);
  if (anchor) anchor.building = true;
  node.items.forEach((item, index) => {
    list.push(buildNode(ctx, item, level + 1));
    recordEntry(list, index, startOf(ctx, item, at));
  });
  if (anchor) anchor.building = false;
  return list;
}

/** `!reference [...]`: valid when it is a non-empty list of strings (checked when resolved). */
export function referenceFromSequence(items: unknown[], at: SourcePosition): ReferenceTag {
  const valid = items.length > 0 && items.every((item) => typeof item === "string");
  return valid
    ? new ReferenceTag(items as string[], at)
    : new ReferenceTag([], at, rubyInspect(items));
}

/** `!!omap [{a: 1}, ...]`: Psych keeps the first key and last value of each entry. */
function buildOmap(
  ctx: BuildContext,
  node: SequenceNode,
  level: number,
  at: SourcePosition,
): unknown {
  const hash: Record<string, unknown> = {};
  recordOrigin(hash, at);
  checkDepth(ctx, level, at);
  register(ctx, node.anchor, hash);
  for (const item of node.items) {
    if (item?.kind !== "mapping" || item.keys.length === 0) {
      throw new LoadError("undefined method `first' for nil:NilClass");
    }
    const firstKey = item.keys[0] ?? null;
    const key = keyOf(buildNode(ctx, firstKey, level + 1), scalarOf(firstKey));
    const value = buildNode(ctx, item.values[item.values.length - 1] ?? null, level + 1);
    storeEntry(hash, key, value, startOf(ctx, firstKey, at));
  }
  return hash;
}

function buildMapping(ctx: BuildContext, node: MappingNode, level: number): unknown {
  const at = startOf(ctx, node);
  const kind = mappingKind(node.tag);
  const hash: Record<string, unknown> = {};
  recordOrigin(hash, at);
  checkDepth(ctx, level, at);
  const anchor = kind === "hash" ? register(ctx, node.anchor, hash) : undefined;
  if (anchor) anchor.building = true;
  fillHash(ctx, hash, node, level, at);
  if (anchor) anchor.building = false;
  if (kind === "hash") return hash;
  const value = kind === "reference" ? referenceFromMapping(hash, at) : stringFromMapping(hash);
  register(ctx, node.anchor, value);
  return value;
}

/** `!reference {…}` loads, and fails when resolved: GitLab renders the mapping or `nil`. */
export function referenceFromMapping(
  hash: Record<string, unknown>,
  at: SourcePosition,
): ReferenceTag {
  return new ReferenceTag([], at, Object.keys(hash).length > 0 ? rubyInspect(hash) : "nil");
}

/** `!!str {str: text}` is a String; other members need an object to hold them. */
export function stringFromMapping(hash: Record<string, unknown>): unknown {
  const value = hash.str ?? null;
  if (value === null && Object.keys(hash).some((key) => key !== "str")) {
    throw new LoadError("can't modify frozen NilClass: nil");
  }
  return value;
}

function fillHash(
  ctx: BuildContext,
  hash: Record<string, unknown>,
  node: MappingNode,
  level: number,
  at: SourcePosition,
): void {
  for (let index = 0; index < node.keys.length; index++) {
    const keyNode = node.keys[index] ?? null;
    const valueNode = node.values[index] ?? null;
    const keyAt = startOf(ctx, keyNode, at);
    const key = buildNode(ctx, keyNode, level + 1);
    const value = buildNode(ctx, valueNode, level + 1);
    storePair(hash, key, scalarOf(keyNode), value, valueNode?.kind, keyAt);
  }
}

function scalarOf(node: YamlNode | null): ScalarNode | undefined {
  return node?.kind === "scalar" ? node : undefined;
}

/**
 * Adds a loaded pair to `hash` as Psych's `revive_hash` does. `keyScalar` describes the key when
 * it was a scalar (not an alias or collection); `valueKind` is the kind of the value's node.
 * False when the pair was a merge.
 */
export function storePair(
  hash: Record<string, unknown>,
  key: unknown,
  keyScalar: ScalarFacts | undefined,
  value: unknown,
  valueKind: YamlNode["kind"] | undefined,
  keyAt: SourcePosition,
): boolean {
  if (key === "<<" && keyScalar?.tag !== STR_TAG && merge(hash, valueKind, value)) return false;
  storeEntry(hash, keyOf(key, keyScalar), value, keyAt);
  return true;
}

function storeEntry(
  hash: Record<string, unknown>,
  key: unknown,
  value: unknown,
  at: SourcePosition,
): void {
  const name = key instanceof FloatKey ? floatToS(key.value) : rubyToS(key);
  setEntry(hash, name, value);
  recordEntry(hash, name, at);
  recordKeyClass(hash, name, rubyClassOf(key));
}

function rubyClassOf(key: unknown): string | undefined {
  if (typeof key === "string" || key instanceof YamlSymbol) return undefined;
  if (key === null || key === undefined) return "NilClass";
  if (key instanceof FloatKey) return "Float";
  if (key === true) return "TrueClass";
  if (key === false) return "FalseClass";
  if (typeof key === "number") return Number.isInteger(key) ? "Integer" : "Float";
  if (Array.isArray(key)) return "Array";
  if (key instanceof ReferenceTag) return "Gitlab::Ci::Config::Yaml::Tags::Reference";
  return "Hash";
}

/** Psych's merge of a `<<` value into `hash`; false when it stays an ordinary key. */
function merge(
  hash: Record<string, unknown>,
  kind: YamlNode["kind"] | undefined,
  value: unknown,
): boolean {
  if (kind === "alias" || kind === "mapping") {
    if (!isMap(value)) return false;
    mergeEntries(hash, value, () => value);
    return true;
  }
  if (kind === "sequence") {
    if (!Array.isArray(value) || !value.every(isMap)) return false;
    const combined: Record<string, unknown> = {};
    const sources = new Map<string, Record<string, unknown>>();
    for (const source of [...value].reverse()) {
      for (const key of Object.keys(source)) {
        setEntry(combined, key, source[key]);
        sources.set(key, source);
      }
    }
    mergeEntries(hash, combined, (key) => sources.get(key) ?? combined);
    return true;
  }
  return false;
}

function mergeEntries(
  hash: Record<string, unknown>,
  entries: Record<string, unknown>,
  sourceOf: (key: string) => Record<string, unknown>,
): void {
  for (const key of Object.keys(entries)) {
    const source = sourceOf(key);
    setEntry(hash, key, entries[key]);
    copyEntryOrigin(source, hash, key);
    copyKeyClass(source, hash, key);
  }
}
