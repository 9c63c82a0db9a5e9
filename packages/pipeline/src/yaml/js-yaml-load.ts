/**
 * The fast path: a piece's first document loaded with js-yaml, straight into Psych's values.
 *
 * js-yaml builds JavaScript values its own way, but its `listener` is called when each call of
 * its `composeNode` starts ("open", at the parser's position) and ends ("close", with the node's
 * kind, tag, anchor and js-yaml's value). The calls nest as the nodes do, so a stack of open
 * calls gives each node its children, and each node is built, with the builder's rules
 * (`build-value.ts`), when its call closes. What the listener does not say is read from the
 * text around the calls:
 *
 * - where a node's content starts: after white space, comments, tag and anchor from where its
 *   call opened;
 * - which child is a key and which a value: a `:` between two children (outside comments)
 *   makes the second the first one's value;
 * - block sequence items with no node at all (a `-` alone on its line): the `-` between two
 *   children.
 *
 * js-yaml reads some nodes twice (a call whose value is its only child's; a tagged scalar read
 * first as a possible mapping key, then again), which is folded back into one node.
 *
 * The schema keeps every scalar a string and accepts every tag (`multi` types whose tag prefix
 * is empty); `json: true` lets duplicate keys through; `<<` means nothing to it. Nodes are built
 * when they end, not when they start, so an alias is checked against js-yaml's own anchors: it
 * must name the node the builder registered (not one still being read).
 *
 * Whenever js-yaml fails, Psych would refuse a value, a limit is reached, or the text holds
 * something this reading leaves alone (a byte order mark, an `!!omap`, an explicit pair in a
 * flow sequence, two tags on one node, more than one document, ...), the result is undefined
 * and the caller loads the piece with the `yaml` package, which words the error as before.
 */
import { type LoadOptions, loadAll, Schema, type State, Type } from "js-yaml";
import { recordEntry, recordOrigin } from "../source-map.js";
import {
  type BuildContext,
  copyValue,
  referenceFromMapping,
  referenceFromSequence,
  type ScalarFacts,
  scalarValue,
  storePair,
  stringFromMapping,
} from "./build-value.js";
import { isMap, setEntry } from "../compose/deep-merge.js";
import { arraySize, hashSize, scalarSize, stringSize } from "./deep-size.js";
import { isPlainWord } from "./psych-scalar.js";
import { mappingKind, sequenceKind } from "./psych-tags.js";
import type { ScalarStyle, YamlNode } from "./yaml-node.js";
import {
  AMPERSAND,
  BANG,
  COLON,
  CR,
  DASH,
  DOUBLE_QUOTE,
  GREATER,
  HASH,
  LESS,
  LF,
  OPEN_BRACE,
  OPEN_BRACKET,
  PIPE,
  QUESTION,
  SINGLE_QUOTE,
  SPACE,
  STAR,
  TAB,
  isFlowIndicator,
} from "./char-codes.js";

type Kind = "scalar" | "sequence" | "mapping" | null;

/** What the listener reads from js-yaml's parser state (its typings omit tag and anchor). */
interface ParserState {
  position: number;
  kind: Kind;
  tag: string | null;
  anchor: string | null;
  result: unknown;
}

/** The kind of node, as the builder sees it. */
const SCALAR = 0;
const ALIAS = 1;
const SEQUENCE = 2;
const MAPPING = 3;
const SYNTAX: ReadonlyArray<YamlNode["kind"]> = ["scalar", "alias", "sequence", "mapping"];

/** Flags of a built node. */
const NOTHING = 1; // the call read nothing at all: no content, no tag, no anchor
const ANCHORED = 2;
const QUOTED = 4;
const BLOCK = 8;

/** Something this reading leaves to the `yaml` package. */
class Unsupported extends Error {}

const anyTag = (kind: "scalar" | "sequence" | "mapping") => new Type("", { kind, multi: true });
const SCHEMA = new Schema({ explicit: [anyTag("scalar"), anyTag("sequence"), anyTag("mapping")] });

/** A tag as libyaml reads one: `!`, `!!` or `!name!` and URI characters, or `!<uri>`. */
const TAG = /^!(?:<[\w\-#;/?:@&=+$,.!~*'()[\]%]+>|(?:!|[\w-]*!)?[\w\-#;/?:@&=+$,.~*'()[\]%]*)$/;
const ANCHOR = /^[\w-]+$/;
const LONE_CR = /\r(?!\n)/;
const DASHES_AND_TEXT = /^---[^ \t\r\n]/m;

export interface FastDocument {
  value: unknown;
  /** Offset where the root's content starts (0 for an empty document). */
  start: number;
  /** True when the value is known to be within the size and depth limits. */
  measured: boolean;
}

/**
 * The first document of the context's text, built, or undefined when the `yaml` package must
 * load it. Builds with `ctx`, which is spoiled when the result is undefined.
 */
export function loadWithJsYaml(ctx: BuildContext): FastDocument | undefined {
  const { text, limits } = ctx;
  // A byte order mark (js-yaml drops it, moving every offset), a lone carriage return (a line
  // break to js-yaml, not to the `yaml` package), a line starting `---x` (js-yaml takes the
  // `---` for a document start when it begins the document; it is text).
  if (text.charCodeAt(0) === 0xfeff || LONE_CR.test(text) || DASHES_AND_TEXT.test(text)) {
    return undefined;
  }
  const loader = new FastLoader(ctx);
  // js-yaml counts about two calls per level of nesting; deeper documents are too big anyway,
  // and the `yaml` package then says where.
  const options: LoadOptions & { maxDepth: number } = {
    schema: SCHEMA,
    json: true,
    listener: loader.listener,
    // "deficient indentation": a quoted scalar or flow collection going back to the left of
    // its block; libyaml and the `yaml` package refuse that.
    onWarning: () => {
      throw new Unsupported();
    },
    maxDepth: 4 * limits.maxDepth + 16,
  };
  try {
    // More than one document: the `yaml` package knows which errors past the first count.
    if (loadAll(text, null, options).length > 1) return undefined;
  } catch {
    // A syntax error, a value Psych refuses (LoadError), a limit, or Unsupported.
    return undefined;
  }
  const root = loader.rootNode();
  if (!root) return { value: null, start: 0, measured: true };
  // Nested too deep (or maybe: merges and tags are counted generously), or too big: the
  // `yaml` package path says where, as it always did.
  if (root.height > limits.maxDepth || root.size > limits.maxBytes) return undefined;
  return { value: root.value, start: root.start, measured: root.size >= 0 };
}

/**
 * Builds nodes as their calls close. The calls that closed and whose parent is still open sit
 * on a stack, kept as parallel arrays (one slot per node, no object per node); a call's
 * children are the slots from where the stack stood when it opened. Closing a call replaces
 * its children with its own node.
 */
class FastLoader {
  /** The root closed: the rest of the text is other documents. */
  done = false;
  private readonly text: string;
  /** Where each open call started, and where its children start on the node stack. */
  private readonly frameOpen: number[] = [];
  private readonly frameBase: number[] = [];
  /** The node stack: `top` slots are in use. */
  private top = 0;
  /** Where the call opened and closed. */
  private readonly open: number[] = [];
  private readonly close: number[] = [];
  /** js-yaml's kind and value. */
  private readonly kind: Kind[] = [];
  private readonly result: unknown[] = [];
  /** SCALAR, ALIAS, SEQUENCE or MAPPING. */
  private readonly syntax: number[] = [];
  /** Where the content starts. */
  private readonly start: number[] = [];
  private readonly value: unknown[] = [];
  private readonly flags: number[] = [];
  private readonly tag: Array<string | undefined> = [];
  /** How deep the value nests (0 for a scalar): the root's must be within the limit. */
  private readonly height: number[] = [];
  /** The value's estimated size in memory (`deep-size.ts`), or -1 when not worked out. */
  private readonly size: number[] = [];
  /** Where the node last registered under each anchor name starts. */
  private readonly anchorStarts = new Map<string, number>();
  /** What the last `skipProperties` found. */
  private tags = 0;
  private anchors = 0;
  private propertiesEnd = -1;
  /** The size of the items the last `flowItems` or `blockItems` read (-1: unknown). */
  private itemsSize = 0;
  /** How many items `addItem` has set in the sequence being built. */
  private items = 0;
  /** Scratch space of `mapping`: the slots of each pair's key and value (-1: none). */
  private readonly pairKeys: number[] = [];
  private readonly pairValues: number[] = [];

  constructor(private readonly ctx: BuildContext) {
    this.text = ctx.text;
  }

  readonly listener = (event: string, state: State): void => {
    if (this.done) return;
    if (event === "open") {
      this.frameOpen.push(state.position);
      this.frameBase.push(this.top);
      return;
    }
    const open = this.frameOpen.pop();
    const base = this.frameBase.pop();
    if (open === undefined || base === undefined) throw new Unsupported();
    this.compose(open, base, state as unknown as ParserState);
    if (this.frameOpen.length === 0) this.done = true;
  };

  /** The root, once parsed: its value, where it starts, its height and size. */
  rootNode(): { value: unknown; start: number; height: number; size: number } | undefined {
    if (this.top !== 1 || (this.flags[0] as number) & NOTHING) return undefined;
    return {
      value: this.value[0],
      start: this.start[0] as number,
      height: this.height[0] as number,
      size: this.size[0] as number,
    };
  }

  private put(
    slot: number,
    open: number,
    close: number,
    state: ParserState,
    syntax: number,
    start: number,
    value: unknown,
    flags: number,
    tag: string | undefined,
    height: number,
    size: number,
  ): void {
    this.open[slot] = open;
    this.close[slot] = close;
    this.kind[slot] = state.kind;
    this.result[slot] = state.result;
    this.syntax[slot] = syntax;
    this.start[slot] = start;
    this.value[slot] = value;
    this.flags[slot] = flags;
    this.tag[slot] = tag;
    this.height[slot] = height;
    this.size[slot] = size;
    this.top = slot + 1;
  }

  private compose(open: number, base: number, state: ParserState): void {
    const { text, ctx } = this;
    const { kind, result } = state;
    const end = this.top;
    const close = state.position;
    const tag = state.tag === null || state.tag === "?" ? undefined : state.tag;
    const anchor = state.anchor ?? undefined;
    const anchored = anchor ? ANCHORED : 0;
    // Most nodes: a scalar without tag or anchor, where the call opened or one space later.
    if (end === base && kind === "scalar" && tag === undefined && !anchor) {
      let start = open;
      let first = text.charCodeAt(start);
      if (first === SPACE) first = text.charCodeAt(++start);
      if (
        typeof result === "string" &&
        isContentStart(first) &&
        first !== PIPE &&
        first !== GREATER
      ) {
        const quoted = first === DOUBLE_QUOTE || first === SINGLE_QUOTE;
        if (quoted) checkAfterToken(text, close);
        const value =
          quoted || isPlainWord(result)
            ? result
            : scalarValue(ctx, undefined, "plain", result, start, close);
        const size = typeof value === "string" ? stringSize(value) : scalarSize(value);
        const flags = quoted ? QUOTED : 0;
        this.put(base, open, close, state, SCALAR, start, value, flags, undefined, 0, size);
        return;
      }
    }
    // A call that passed on its only child's value (js-yaml looked for a mapping there). The
    // child has the same content and end, and starts later, after separators only: it stays.
    if (
      end === base + 1 &&
      this.kind[base] === kind &&
      this.result[base] === result &&
      !((this.flags[base] as number) & NOTHING)
    ) {
      if (tag === undefined && anchor === undefined) return;
      if (kind !== "scalar") {
        const flags = this.flags[base] as number;
        if (tag !== undefined || flags & ANCHORED || this.syntax[base] === ALIAS) {
          throw new Unsupported();
        }
        this.flags[base] = flags | ANCHORED;
        this.register(
          anchor,
          this.value[base],
          result,
          this.height[base],
          this.size[base],
          this.start[base] as number,
          close,
        );
        return;
      }
    }
    const start = this.skipProperties(open);
    if (kind === "mapping") {
      this.mapping(base, end, open, start, close, state, tag, anchor);
      return;
    }
    if (kind === "sequence") {
      this.sequence(base, end, open, start, close, state, tag, anchor);
      return;
    }
    if (this.tags !== (tag === undefined ? 0 : 1) || this.anchors !== (anchor ? 1 : 0)) {
      throw new Unsupported();
    }
    const first = text.charCodeAt(start);
    if (kind === "scalar") {
      if (typeof result !== "string") throw new Unsupported();
      let style: ScalarStyle = "plain";
      let flags = anchored;
      if (first === DOUBLE_QUOTE || first === SINGLE_QUOTE) {
        style = "quoted";
        flags |= QUOTED;
        checkAfterToken(text, close);
      } else if (first === PIPE || first === GREATER) {
        style = "block";
        flags |= BLOCK;
      }
      const value = scalarValue(ctx, tag, style, result, start, close);
      const size = scalarSize(value);
      if (anchor) this.register(anchor, value, result, 0, size, start, close);
      this.put(base, open, close, state, SCALAR, start, value, flags, tag, 0, size);
      return;
    }
    if (first === STAR && close > start) {
      if (tag !== undefined || anchor) throw new Unsupported();
      const name = aliasName(text, start + 1);
      const anchoredNode = ctx.anchors.get(name);
      // js-yaml resolved the alias when it read it; the builder must mean the same node.
      if (!anchoredNode || anchoredNode.source !== result) throw new Unsupported();
      const value = copyValue(ctx, anchoredNode.value, 1, ctx.position(start));
      if (ctx.tooBig) throw new Unsupported();
      const { height = 0, size = -1 } = anchoredNode;
      this.put(base, open, close, state, ALIAS, start, value, 0, undefined, height, size);
      return;
    }
    if (result !== null) throw new Unsupported();
    const at = skipBlanks(text, this.propertiesEnd < 0 ? open : this.propertiesEnd);
    const value = scalarValue(ctx, tag, "plain", "", at, at);
    const size = scalarSize(value);
    this.register(anchor, value, result, 0, size, at, close);
    const flags = tag === undefined && !anchor ? NOTHING : anchored;
    this.put(base, open, close, state, SCALAR, at, value, flags, tag, 0, size);
  }

  /** The node registered under `name` (with `register`), spanning [start, end) of the text. */
  private register(
    name: string | undefined,
    value: unknown,
    source: unknown,
    height: number | undefined,
    size: number | undefined,
    start: number,
    end: number,
  ): void {
    if (!name) return;
    // Nodes are built as they end, so an anchor named again inside its own node would be
    // registered last here, while Psych registers a mapping or list as it starts and the inner
    // one wins: `a: &x {b: &x 1}` then `*x` is 1. Such documents go to the `yaml` package.
    const inner = this.anchorStarts.get(name);
    if (inner !== undefined && inner > start && inner < end) throw new Unsupported();
    this.anchorStarts.set(name, start);
    this.ctx.anchors.set(name, { value, building: false, source, height, size });
  }

  /** What `storePair` needs to know of the key in `slot`, when it can matter. */
  private keyScalar(slot: number, name: unknown): ScalarFacts | undefined {
    if (this.syntax[slot] !== SCALAR) return undefined;
    // Only a number (1.0 is a Float) or `<<` (a merge unless `!!str`) looks at it.
    if (typeof name !== "number" && name !== "<<") return undefined;
    const flags = this.flags[slot] as number;
    const style = flags & QUOTED ? "quoted" : flags & BLOCK ? "block" : "plain";
    const result = this.result[slot];
    return { tag: this.tag[slot], style, text: typeof result === "string" ? result : "" };
  }

  private mapping(
    base: number,
    end: number,
    open: number,
    start: number,
    close: number,
    state: ParserState,
    tag: string | undefined,
    anchor: string | undefined,
  ): void {
    const { text, ctx, pairKeys, pairValues } = this;
    const at = ctx.position(start);
    const kind = mappingKind(tag);
    const flow = text.charCodeAt(start) === OPEN_BRACE;
    if (flow) this.checkFlowGaps(base, end, start, close);
    // js-yaml reads `key: !tag other: value` as a mapping in a mapping; YAML has no such thing.
    else if (text.charCodeAt(open - 1) === COLON && !hasLineBreak(text, open, start)) {
      throw new Unsupported();
    }
    // Which child is a key, and which is its value (-1: none).
    let pairs = 0;
    // js-yaml's object holds the same keys in the same order when every key is a string
    // that loaded as itself, none is `<<`, and none repeats: it then becomes the hash.
    let reuse = kind === "hash";
    let from = start;
    for (let key = base; key < end;) {
      const keyOpen = this.open[key] as number;
      const keyClose = this.close[key] as number;
      const explicit = gapHas(text, from, keyOpen, QUESTION);
      if (!flow) {
        // A block mapping ends with a call that finds no key; `? ` alone is an empty key.
        if ((this.flags[key] as number) & NOTHING && !explicit) {
          if (key !== end - 1) throw new Unsupported();
          break;
        }
        // The `yaml` package places a block collection written as a key oddly, and refuses
        // some flow collections as keys: it decides such mappings.
        const keySyntax = this.syntax[key];
        if (keySyntax === MAPPING || keySyntax === SEQUENCE) throw new Unsupported();
      }
      const value = key + 1;
      // A block mapping's value opens just after its `:`.
      const valueOpen = value < end ? (this.open[value] as number) : -1;
      const paired =
        valueOpen >= 0 &&
        (text.charCodeAt(valueOpen - 1) === COLON || gapHas(text, keyClose, valueOpen, COLON));
      const name = this.value[key];
      if (reuse && (name !== this.result[key] || typeof name !== "string" || name === "<<")) {
        reuse = false;
      }
      pairKeys[pairs] = key;
      pairValues[pairs] = paired ? value : -1;
      pairs += 1;
      from = paired ? (this.close[value] as number) : keyClose;
      key += paired ? 2 : 1;
    }
    const { result } = state;
    reuse &&= isMap(result) && Object.keys(result).length === pairs;
    const hash: Record<string, unknown> = reuse ? (result as Record<string, unknown>) : {};
    recordOrigin(hash, at);
    let height = 0;
    // The entries' sizes, while each pair adds a new string key (no merge, no repeat).
    let size = 0;
    for (let pair = 0; pair < pairs; pair++) {
      const key = pairKeys[pair] as number;
      const value = pairValues[pair] as number;
      const keyAt = ctx.position(this.start[key] as number);
      // Keys end up as strings, but the builder measures them too.
      height = Math.max(height, this.height[key] as number);
      const name = this.value[key];
      const loaded = value < 0 ? null : this.value[value];
      const valueSize = value < 0 ? 0 : (this.size[value] as number);
      if (value >= 0) height = Math.max(height, this.height[value] as number);
      if (reuse) {
        const entry = name as string;
        if (entry === "__proto__") setEntry(hash, entry, loaded);
        else hash[entry] = loaded;
        recordEntry(hash, entry, keyAt);
        size = size >= 0 && valueSize >= 0 ? size + stringSize(entry) + valueSize : -1;
        continue;
      }
      const fresh = size >= 0 && typeof name === "string" && !Object.hasOwn(hash, name);
      const keyScalar = this.keyScalar(key, name);
      const valueKind = value < 0 ? undefined : SYNTAX[this.syntax[value] as number];
      const stored = storePair(hash, name, keyScalar, loaded, valueKind, keyAt);
      size = fresh && stored && valueSize >= 0 ? size + stringSize(name) + valueSize : -1;
    }
    let built: unknown = hash;
    let builtSize = size >= 0 ? hashSize(pairs) + size : -1;
    if (kind === "reference") {
      built = referenceFromMapping(hash, at);
      builtSize = 40;
    } else if (kind === "string") {
      built = stringFromMapping(hash);
      builtSize = scalarSize(built);
    }
    this.register(anchor, built, result, height + 1, builtSize, start, close);
    const flags = anchor ? ANCHORED : 0;
    this.put(base, open, close, state, MAPPING, start, built, flags, tag, height + 1, builtSize);
  }

  private sequence(
    base: number,
    end: number,
    open: number,
    start: number,
    close: number,
    state: ParserState,
    tag: string | undefined,
    anchor: string | undefined,
  ): void {
    const { text, ctx } = this;
    const kind = sequenceKind(tag);
    if (kind === "omap") throw new Unsupported();
    const at = ctx.position(start);
    const { result } = state;
    if (!Array.isArray(result)) throw new Unsupported();
    const { length } = result;
    // js-yaml's list has one item for each of the builder's: it becomes the list.
    const values: unknown[] = kind === "array" ? result : [];
    // Items are registered as they are added (a `!reference` list is not a list).
    const list = kind === "array" ? values : undefined;
    if (list) recordOrigin(list, at);
    this.items = 0;
    const height =
      1 +
      (text.charCodeAt(start) === OPEN_BRACKET
        ? this.flowItems(base, end, start, close, values, list)
        : this.blockItems(base, end, start, close, values, list));
    if (this.items !== length || values.length !== length) throw new Unsupported();
    const flags = anchor ? ANCHORED : 0;
    // Psych does not register a tagged sequence's anchor: an alias to it is unknown.
    if (!list) {
      const reference = referenceFromSequence(values, at);
      this.put(base, open, close, state, SEQUENCE, start, reference, flags, tag, height, 40);
      return;
    }
    const size = this.itemsSize < 0 ? -1 : arraySize(length) + this.itemsSize;
    this.register(anchor, values, result, height, size, start, close);
    this.put(base, open, close, state, SEQUENCE, start, values, flags, tag, height, size);
  }

  /** Sets the next item of `values`, and registers where it starts when `list` is given. */
  private addItem(values: unknown[], list: unknown[] | undefined, value: unknown, at: number) {
    const index = this.items++;
    if (list) recordEntry(list, index, this.ctx.position(at));
    values[index] = value;
  }

  /** `[a, b: c]`: an entry followed by `:` is a mapping of one pair. The items' height. */
  private flowItems(
    base: number,
    end: number,
    start: number,
    close: number,
    values: unknown[],
    list: unknown[] | undefined,
  ): number {
    const { text, ctx } = this;
    this.checkFlowGaps(base, end, start, close);
    let height = 0;
    let size = 0;
    let from = start;
    for (let item = base; item < end;) {
      if (gapHas(text, from, this.open[item] as number, QUESTION)) throw new Unsupported();
      const itemStart = this.start[item] as number;
      const value = item + 1;
      const paired =
        value < end && gapHas(text, this.close[item] as number, this.open[value] as number, COLON);
      if (paired) {
        const at = ctx.position(itemStart);
        const hash: Record<string, unknown> = {};
        recordOrigin(hash, at);
        const name = this.value[item];
        const keyScalar = this.keyScalar(item, name);
        const valueKind = SYNTAX[this.syntax[value] as number];
        const stored = storePair(hash, name, keyScalar, this.value[value], valueKind, at);
        this.addItem(values, list, hash, itemStart);
        const inner = Math.max(this.height[item] as number, this.height[value] as number);
        height = Math.max(height, 1 + inner);
        const valueSize = this.size[value] as number;
        const known = size >= 0 && stored && typeof name === "string" && valueSize >= 0;
        size = known ? size + hashSize(1) + stringSize(name) + valueSize : -1;
        from = this.close[value] as number;
        item += 2;
      } else {
        this.addItem(values, list, this.value[item], itemStart);
        height = Math.max(height, this.height[item] as number);
        const itemSize = this.size[item] as number;
        size = size >= 0 && itemSize >= 0 ? size + itemSize : -1;
        from = this.close[item] as number;
        item += 1;
      }
    }
    this.itemsSize = size;
    return height;
  }

  /** Block items (a `-` alone on its line has no call of its own); returns their height. */
  private blockItems(
    base: number,
    end: number,
    start: number,
    close: number,
    values: unknown[],
    list: unknown[] | undefined,
  ): number {
    const { text } = this;
    const column = columnOf(text, start);
    let height = 0;
    let size = 0;
    let from = start;
    for (let item = base; item < end; item++) {
      const itemOpen = this.open[item] as number;
      const dashes = dashesIn(text, from, itemOpen, column);
      if (dashes === 0) throw new Unsupported();
      if (dashes > 1) this.addEmptyItems(from, itemOpen, dashes - 1, values, list);
      this.addItem(values, list, this.value[item], this.start[item] as number);
      height = Math.max(height, this.height[item] as number);
      const itemSize = this.size[item] as number;
      size = size >= 0 && itemSize >= 0 ? size + itemSize : -1;
      from = this.close[item] as number;
    }
    const trailing = dashesIn(text, from, close, column);
    if (trailing > 0) this.addEmptyItems(from, close, trailing, values, list);
    this.itemsSize = size;
    return height;
  }

  /** An empty item (null) for each of the first `count` dashes in text[from, to). */
  private addEmptyItems(
    from: number,
    to: number,
    count: number,
    values: unknown[],
    list: unknown[] | undefined,
  ): void {
    const { text } = this;
    let left = count;
    for (let index = from; index < to && left > 0; index++) {
      const code = text.charCodeAt(index);
      if (code === DASH) {
        this.addItem(values, list, null, skipBlanks(text, index + 1));
        left--;
      } else if (code === HASH) {
        index = lineEnd(text, index) - 1;
      }
    }
  }

  /**
   * libyaml wants white space before a comment; js-yaml does not, and takes `[a,#b` or `[a]#b`
   * for a value and a comment. Such text is left to the `yaml` package, which reports it.
   */
  private checkFlowGaps(base: number, end: number, start: number, close: number): void {
    const { text } = this;
    let from = start;
    for (let child = base; child < end; child++) {
      checkComments(text, from, this.open[child] as number);
      from = this.close[child] as number;
    }
    checkComments(text, from, close);
    checkAfterToken(text, close);
  }

  /** Skips separators, tags and anchors from `index`, as js-yaml reads a node's properties. */
  private skipProperties(index: number): number {
    const { text } = this;
    this.tags = 0;
    this.anchors = 0;
    this.propertiesEnd = -1;
    let start = skipSeparation(text, index);
    for (;;) {
      let at = start;
      const code = text.charCodeAt(at);
      if (code === BANG) {
        this.tags++;
        if (text.charCodeAt(at + 1) === LESS) {
          while (at < text.length && text.charCodeAt(at) !== GREATER) at++;
          at++;
        } else {
          while (at < text.length && !isSpaceOrBreak(text.charCodeAt(at))) at++;
        }
        if (!TAG.test(text.slice(start, at))) throw new Unsupported();
      } else if (code === AMPERSAND) {
        this.anchors++;
        at = anchorEnd(text, at + 1);
      } else {
        return start;
      }
      if (!isSpaceOrBreak(text.charCodeAt(at))) throw new Unsupported();
      this.propertiesEnd = at;
      start = skipSeparation(text, at);
    }
  }
}

/** libyaml wants white space before a comment; js-yaml takes `'a'#b` for a value and one. */
function checkAfterToken(text: string, end: number): void {
  if (text.charCodeAt(end) === HASH) throw new Unsupported();
}

function checkComments(text: string, from: number, to: number): void {
  for (let index = from; index < to; index++) {
    if (text.charCodeAt(index) !== HASH) continue;
    if (index > 0 && !isSpaceOrBreak(text.charCodeAt(index - 1))) throw new Unsupported();
    index = lineEnd(text, index) - 1;
  }
}

/** True when `char` is in text[from, to), which holds only separators and comments. */
function gapHas(text: string, from: number, to: number, char: number): boolean {
  for (let index = from; index < to; index++) {
    const code = text.charCodeAt(index);
    if (code === char) return true;
    if (code === HASH) index = lineEnd(text, index) - 1;
  }
  return false;
}

/**
 * How many `-` indicators text[from, to) holds (it holds only separators and comments). Each
 * must be in the sequence's column: js-yaml lets a sequence whose last item is empty go on at
 * a shallower `-`, which belongs to an outer sequence.
 */
function dashesIn(text: string, from: number, to: number, column: number): number {
  let count = 0;
  for (let index = from; index < to; index++) {
    const code = text.charCodeAt(index);
    if (code === DASH) {
      if (columnOf(text, index) !== column) throw new Unsupported();
      count++;
    } else if (code === HASH) {
      index = lineEnd(text, index) - 1;
    }
  }
  return count;
}

function columnOf(text: string, index: number): number {
  return index - (text.lastIndexOf("\n", index - 1) + 1);
}

function hasLineBreak(text: string, from: number, to: number): boolean {
  for (let index = from; index < to; index++) {
    const code = text.charCodeAt(index);
    if (code === LF || code === CR) return true;
  }
  return false;
}

function lineEnd(text: string, index: number): number {
  let end = index;
  while (end < text.length && text.charCodeAt(end) !== LF && text.charCodeAt(end) !== CR) end++;
  return end;
}

function skipBlanks(text: string, index: number): number {
  let at = index;
  for (let code = text.charCodeAt(at); code === SPACE || code === TAB; code = text.charCodeAt(at)) {
    at++;
  }
  return at;
}

/** White space, line breaks and comments, as js-yaml skips them between tokens. */
function skipSeparation(text: string, index: number): number {
  let at = index;
  for (;;) {
    const code = text.charCodeAt(at);
    if (code === SPACE || code === TAB || code === LF || code === CR) at++;
    else if (code === HASH) at = lineEnd(text, at);
    else return at;
  }
}

/** Not a separator, comment, tag or anchor: where content starts. */
function isContentStart(code: number): boolean {
  return (
    code !== SPACE &&
    code !== TAB &&
    code !== LF &&
    code !== CR &&
    code !== HASH &&
    code !== BANG &&
    code !== AMPERSAND
  );
}

function isSpaceOrBreak(code: number): boolean {
  return code === SPACE || code === TAB || code === LF || code === CR;
}

/** The end of an anchor's or alias's name, which libyaml limits to letters, digits, `_`, `-`. */
function anchorEnd(text: string, index: number): number {
  let end = index;
  while (end < text.length) {
    const code = text.charCodeAt(end);
    if (isSpaceOrBreak(code) || isFlowIndicator(code)) break;
    end++;
  }
  if (end === index || !ANCHOR.test(text.slice(index, end))) throw new Unsupported();
  return end;
}

function aliasName(text: string, index: number): string {
  return text.slice(index, anchorEnd(text, index));
}
