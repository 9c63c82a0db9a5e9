/**
 * The first path: a piece written in the part of YAML that CI files use, read line by line
 * straight into Psych's values, with the builder's rules (`build-value.ts`) and the same
 * positions, key classes, anchors, sizes and heights as the js-yaml path (`js-yaml-load.ts`),
 * whose result it must equal wherever it gives one.
 *
 * What it reads: comments; block mappings whose keys are plain or quoted scalars on one line;
 * block sequences, also in their key's column and with `- key: value` or `- - item` on the
 * dash's line; plain, single- and double-quoted scalars on one line (every escape of
 * https://yaml.org/spec/1.2.2/#57-escaped-characters, which YAML 1.1 has too); flow sequences
 * and mappings on one line; literal block scalars (`|`, `|-`, `|+`), read as js-yaml reads them;
 * anchors on values, aliases as values and in flow collections, merge keys (`<<`); the
 * `!reference [a, b]` tag.
 *
 * Anything else, and anything that looks odd, gives undefined, and the caller loads the piece
 * with js-yaml (then the `yaml` package, which words every error). That includes tabs, carriage
 * returns, a byte order mark, characters libyaml or js-yaml refuse or read as line breaks,
 * directives and `---`/`...` lines, an indented root, explicit (`?`) and complex keys,
 * properties on keys, tags but `!reference` before `[`, folded scalars, indentation
 * indicators, scalars and flow collections over several lines, empty flow entries, pairs in
 * flow sequences, an anchor on an empty node, an alias to a node still being read, keys over
 * 1000 characters, and documents over a limit (the slower paths report those).
 */
import { setEntry } from "../compose/deep-merge.js";
import type { SourcePosition } from "../diagnostics.js";
import { recordEntry, recordOrigin } from "../source-map.js";
import {
  type BuildContext,
  copyValue,
  referenceFromSequence,
  type ScalarFacts,
  scalarValue,
  storePair,
} from "./build-value.js";
import { arraySize, hashSize, scalarSize, stringSize } from "./deep-size.js";
import type { FastDocument } from "./js-yaml-load.js";
import { isPlainWord } from "./psych-scalar.js";
import type { YamlNode } from "./yaml-node.js";
import { YamlSymbol } from "./yaml-symbol.js";
import {
  AMPERSAND,
  BACKSLASH,
  BANG,
  CLOSE_BRACE,
  CLOSE_BRACKET,
  COLON,
  COMMA,
  DASH,
  DOT,
  DOUBLE_QUOTE,
  HASH,
  LF,
  OPEN_BRACE,
  OPEN_BRACKET,
  PIPE,
  PLUS,
  QUESTION,
  SINGLE_QUOTE,
  SPACE,
  STAR,
  isFlowIndicator,
} from "./char-codes.js";

/** libyaml stops looking for a simple key's `:` 1024 characters on; stay well short of it. */
const MAX_KEY = 1000;

/**
 * ASCII characters that cannot start a plain scalar here: the indicators of
 * https://yaml.org/spec/1.2.2/#53-indicator-characters but `-` (checked apart), and white space.
 */
const NOT_PLAIN_START = new Uint8Array(128);
for (const char of " \n,[]{}#&*!|>'\"%@`?:") NOT_PLAIN_START[char.charCodeAt(0)] = 1;

/** Letters, digits, `_` and `-`: what libyaml allows in anchor and alias names. */
const NAME = new Uint8Array(128);
for (let code = 0; code < 128; code++) {
  const lower = code | 0x20;
  NAME[code] =
    (lower >= 0x61 && lower <= 0x7a) || (code >= 0x30 && code <= 0x39) || code === 0x5f
      ? 1
      : code === DASH
        ? 1
        : 0;
}

/** What `scanPlain` stopped at. */
const AT_END = 0;
const AT_KEY = 1;

/** Chomping (https://yaml.org/spec/1.2.2/#8112-block-chomping-indicator). */
const CLIP = 0;
const STRIP = 1;
const KEEP = 2;

/** Something this reader leaves to the slower paths. */
class Unsupported extends Error {}
const UNSUPPORTED = new Unsupported("left to the slower paths");

function unsupported(): never {
  throw UNSUPPORTED;
}

/**
 * The first document of the context's text, built, or undefined when the slower paths must load
 * it. Builds with `ctx`, which is spoiled when the result is undefined.
 */
export function loadBlockYaml(ctx: BuildContext): FastDocument | undefined {
  if (!readableCharacters(ctx.text)) return undefined;
  try {
    return new BlockReader(ctx).load();
  } catch {
    // Unsupported, a value Psych refuses (LoadError), or anything else: the slower paths decide.
    return undefined;
  }
}

/** Anything but line feeds and printable ASCII. */
const NOT_PRINTABLE_ASCII = /[^\n\x20-\x7e]/;

/**
 * False for a character this reader leaves alone: C0 controls but the line feed (tabs and
 * carriage returns among them), DEL and C1 controls (NEL is a line break to libyaml), the line
 * and paragraph separators, a byte order mark, non-characters and unpaired surrogates.
 */
function readableCharacters(text: string): boolean {
  // CI files are mostly printable ASCII: a native scan finds the first other character.
  const first = text.search(NOT_PRINTABLE_ASCII);
  if (first < 0) return true;
  for (let index = first; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < SPACE) {
      if (code !== LF) return false;
    } else if (code >= 0x7f) {
      if (code <= 0x9f || code === 0x2028 || code === 0x2029 || code === 0xfeff) return false;
      if (code >= 0xfffe) return false;
      if (code >= 0xd800 && code <= 0xdfff) {
        const next = text.charCodeAt(index + 1);
        if (code > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) return false;
        index++;
      }
    }
  }
  return true;
}

function skipSpaces(text: string, index: number): number {
  let at = index;
  while (text.charCodeAt(at) === SPACE) at++;
  return at;
}

/** The line feed ending the line of `index` (the reader's text always ends with one). */
function lineEnd(text: string, index: number): number {
  return text.indexOf("\n", index);
}

function isSpaceOrBreak(code: number): boolean {
  return code === SPACE || code === LF;
}

function canStartPlain(code: number): boolean {
  return code >= 128 || NOT_PLAIN_START[code] === 0;
}

/** The end of the anchor or alias name starting at `index`. */
function nameEnd(text: string, index: number): number {
  let at = index;
  for (let code = text.charCodeAt(at); code < 128 && NAME[code] === 1;) {
    code = text.charCodeAt(++at);
  }
  if (at === index) unsupported();
  return at;
}

function hexDigit(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  const lower = code | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}

/** The character a one-letter escape of a double-quoted scalar stands for, or undefined. */
function simpleEscape(code: number): string | undefined {
  switch (code) {
    case 0x30:
      return "\x00";
    case 0x61:
      return "\x07";
    case 0x62:
      return "\b";
    case 0x74:
      return "\t";
    case 0x6e:
      return "\n";
    case 0x76:
      return "\v";
    case 0x66:
      return "\f";
    case 0x72:
      return "\r";
    case 0x65:
      return "\x1b";
    case SPACE:
      return " ";
    case DOUBLE_QUOTE:
      return '"';
    case 0x2f:
      return "/";
    case BACKSLASH:
      return "\\";
    case 0x4e:
      return "\x85";
    case 0x5f:
      return "\xa0";
    case 0x4c:
      return "\u2028";
    case 0x50:
      return "\u2029";
    default:
      return undefined;
  }
}

/** The digits of a `\x`, `\u` or `\U` escape. */
function hexEscapeLength(code: number): number {
  return code === 0x78 ? 2 : code === 0x75 ? 4 : code === 0x55 ? 8 : 0;
}

/**
 * Reads one piece. Each method reading a node leaves it in `value`, `kind`, `height` and `size`
 * and moves to the next line holding content: `pos` is where that content starts, `indent` its
 * column (-1 at the end of the text) and `lineStart` where its line starts.
 */
class BlockReader {
  /** The text, ending with a line feed as js-yaml makes it. */
  private readonly text: string;
  private readonly length: number;
  private readonly position: (offset: number) => SourcePosition;
  private pos = 0;
  private indent = -1;
  private lineStart = 0;
  private value: unknown = null;
  private kind: YamlNode["kind"] = "scalar";
  /** How deep the value nests (0 for a scalar), and its size (`deep-size.ts`; -1: unknown). */
  private height = 0;
  private size = 0;
  /** Collections open around the one being read. */
  private depth = 0;
  /** Anchors whose node is being read: an alias to one is left to the slower paths. */
  private readonly opened: string[] = [];
  /** Where the last plain scalar's text ends (trailing spaces dropped) and what stopped it. */
  private plainEnd = 0;
  private stop = 0;
  /** Whether the last node read after a key or dash was no node at all. */
  private empty = false;
  /** The last quoted scalar's value. */
  private quoted = "";
  /** The last key read: its value, its text and whether it was quoted. */
  private keyName: unknown = null;
  private keyText = "";
  private keyQuoted = false;

  constructor(private readonly ctx: BuildContext) {
    const { text } = ctx;
    this.text = text.charCodeAt(text.length - 1) === LF ? text : `${text}\n`;
    this.length = this.text.length;
    this.position = ctx.position;
  }

  load(): FastDocument | undefined {
    this.skipToContent(0);
    if (this.indent < 0) return { value: null, start: 0, measured: true };
    if (this.indent !== 0) unsupported();
    const start = this.pos;
    this.collection(0, start);
    if (this.indent >= 0) unsupported();
    const { limits } = this.ctx;
    if (this.height > limits.maxDepth || this.size > limits.maxBytes) return undefined;
    return { value: this.value, start, measured: this.size >= 0 };
  }

  /** Moves to the first line from `from` (a line's start) that holds more than a comment. */
  private skipToContent(from: number): void {
    const { text, length } = this;
    let start = from;
    while (start < length) {
      const at = skipSpaces(text, start);
      const code = text.charCodeAt(at);
      if (code === LF) {
        start = at + 1;
      } else if (code === HASH) {
        start = lineEnd(text, at) + 1;
      } else if (at >= length) {
        break;
      } else {
        // A document marker (or `---x`, which js-yaml takes for one).
        if (
          at === start &&
          (code === DASH || code === DOT) &&
          text.charCodeAt(at + 1) === code &&
          text.charCodeAt(at + 2) === code
        ) {
          unsupported();
        }
        this.lineStart = start;
        this.pos = at;
        this.indent = at - start;
        return;
      }
    }
    this.pos = length;
    this.indent = -1;
    this.lineStart = length;
  }

  /** Moves past the line feed at `end` to the next line with content. */
  private nextLine(end: number): void {
    this.skipToContent(end + 1);
  }

  /** After a node ending at `end`: only spaces and a comment may follow on its line. */
  private finishLine(end: number): void {
    const { text } = this;
    const at = skipSpaces(text, end);
    const code = text.charCodeAt(at);
    if (code === HASH) {
      // libyaml wants white space before a comment.
      if (at === end) unsupported();
      this.nextLine(lineEnd(text, at));
    } else if (code === LF) {
      this.nextLine(at);
    } else {
      unsupported();
    }
  }

  private isDash(at: number): boolean {
    return this.text.charCodeAt(at) === DASH && isSpaceOrBreak(this.text.charCodeAt(at + 1));
  }

  /** A block mapping or sequence whose first key or dash is at `at`, in column `column`. */
  private collection(column: number, at: number): void {
    if (this.isDash(at)) this.sequence(column, at, false);
    else this.mapping(column, at);
  }

  private setScalar(value: unknown): void {
    this.value = value;
    this.kind = "scalar";
    this.height = 0;
    this.size = scalarSize(value);
  }

  /**
   * A plain scalar's value, as the builder makes it. Short words that may be booleans or null
   * (`true`, `needs`, `tags`) are remembered too; a Symbol is an object, made each time.
   */
  private plain(source: string, start: number, end: number): unknown {
    if (isPlainWord(source)) return source;
    const { plain } = this.ctx;
    const known = plain.get(source);
    if (known !== undefined) return known;
    const value = scalarValue(this.ctx, undefined, "plain", source, start, end);
    if (!(value instanceof YamlSymbol)) plain.set(source, value);
    return value;
  }

  private enter(): void {
    if (++this.depth > this.ctx.limits.maxDepth) unsupported();
  }

  /** Registers the node just read under `name`, with what the js-yaml path records. */
  private register(name: string): void {
    this.ctx.anchors.set(name, {
      value: this.value,
      building: false,
      height: this.height,
      size: this.size,
    });
  }

  private mapping(column: number, first: number): void {
    this.enter();
    const hash: Record<string, unknown> = {};
    recordOrigin(hash, this.position(first));
    let at = first;
    let pairs = 0;
    let height = 0;
    let size = 0;
    let plainKeys = true;
    for (;;) {
      const after = this.readKey(at);
      if (after < 0) unsupported();
      const name = this.keyName;
      const quoted = this.keyQuoted;
      const keyText = this.keyText;
      this.node(after, column, false);
      if (this.height > height) height = this.height;
      plainKeys &&= typeof name === "string" && name !== "<<";
      size = this.store(hash, name, plainKeys, quoted, keyText, at, size);
      pairs++;
      if (this.indent !== column) {
        if (this.indent > column) unsupported();
        break;
      }
      at = this.pos;
      if (this.isDash(at)) unsupported();
    }
    this.depth--;
    this.value = hash;
    this.kind = "mapping";
    this.height = height + 1;
    this.size = size >= 0 ? hashSize(pairs) + size : -1;
  }

  /**
   * Stores the node just read under key `name` (read at `keyAt`) as `storePair` does, directly
   * while every key so far was a string other than `<<`. Returns the entries' size so far.
   */
  private store(
    hash: Record<string, unknown>,
    name: unknown,
    plainKeys: boolean,
    quoted: boolean,
    keyText: string,
    keyAt: number,
    size: number,
  ): number {
    const { value } = this;
    const valueSize = this.size;
    const at = this.position(keyAt);
    if (plainKeys) {
      const key = name as string;
      const fresh = !Object.hasOwn(hash, key);
      if (key === "__proto__") setEntry(hash, key, value);
      else hash[key] = value;
      recordEntry(hash, key, at);
      return fresh && size >= 0 && valueSize >= 0 ? size + stringSize(key) + valueSize : -1;
    }
    const fresh = size >= 0 && typeof name === "string" && !Object.hasOwn(hash, name);
    // Only a number (1.0 is a Float) or `<<` (a merge unless `!!str`) looks at the key's facts.
    const facts: ScalarFacts | undefined =
      typeof name === "number" || name === "<<"
        ? { tag: undefined, style: quoted ? "quoted" : "plain", text: keyText }
        : undefined;
    const stored = storePair(hash, name, facts, value, this.kind, at);
    return fresh && stored && valueSize >= 0 ? size + stringSize(name as string) + valueSize : -1;
  }

  private sequence(column: number, first: number, sameColumn: boolean): void {
    this.enter();
    const list: unknown[] = [];
    recordOrigin(list, this.position(first));
    let at = first;
    let height = 0;
    let size = 0;
    for (;;) {
      this.empty = false;
      const start = this.node(at + 1, column, true);
      // After an item with no node (a `-` alone on its line), js-yaml takes a shallower `-`
      // for the next item of this sequence; libyaml does not.
      if (this.empty && this.indent < column && this.indent >= 0 && this.isDash(this.pos)) {
        unsupported();
      }
      recordEntry(list, list.length, this.position(start));
      list.push(this.value);
      if (this.height > height) height = this.height;
      size = size >= 0 && this.size >= 0 ? size + this.size : -1;
      if (this.indent !== column) {
        if (this.indent > column) unsupported();
        break;
      }
      at = this.pos;
      if (!this.isDash(at)) {
        // A sequence in its key's column ends at the mapping's next key.
        if (sameColumn) break;
        unsupported();
      }
    }
    this.depth--;
    this.value = list;
    this.kind = "sequence";
    this.height = height + 1;
    this.size = size >= 0 ? arraySize(list.length) + size : -1;
  }

  /**
   * The node after a key's `:` or an item's `-` (`from` is just after it), in a collection in
   * column `column`; `item`: a sequence's item, which may be a mapping or sequence starting on
   * the dash's line. Returns where the node's content starts.
   */
  private node(from: number, column: number, item: boolean): number {
    const { text } = this;
    let at = skipSpaces(text, from);
    const code = text.charCodeAt(at);
    if (code === AMPERSAND) {
      const end = nameEnd(text, at + 1);
      if (!isSpaceOrBreak(text.charCodeAt(end))) unsupported();
      const anchor = text.slice(at + 1, end);
      at = skipSpaces(text, end);
      const next = text.charCodeAt(at);
      if (next === STAR || next === BANG) unsupported();
      const earlier = this.ctx.anchors.get(anchor);
      this.opened.push(anchor);
      if (next === LF || next === HASH) {
        // `&name` ends its line (a comment may follow; white space precedes it): a collection
        // on the next lines.
        this.nextLine(lineEnd(text, at));
        if (this.indent <= column) unsupported();
        at = this.pos;
        this.collection(this.indent, at);
      } else {
        at = this.inline(at, column, false);
      }
      this.opened.pop();
      // The same name again inside the node: Psych's alias then means the inner node (a
      // collection registers as it starts), js-yaml's the outer one. Left to the slower paths.
      if (this.ctx.anchors.get(anchor) !== earlier) unsupported();
      this.register(anchor);
      return at;
    }
    if (code === LF || code === HASH) {
      // Nothing on this line: a collection on the next ones, or an empty node.
      this.nextLine(lineEnd(text, at));
      const next = this.pos;
      if (this.indent > column) {
        this.collection(this.indent, next);
        return next;
      }
      if (!item && this.indent === column && this.isDash(next)) {
        this.sequence(column, next, true);
        return next;
      }
      this.setScalar(null);
      this.empty = true;
      return at;
    }
    return this.inline(at, column, item);
  }

  /** A node whose content starts at `at`, on the line of its key or dash. */
  private inline(at: number, column: number, compact: boolean): number {
    const { text } = this;
    const code = text.charCodeAt(at);
    switch (code) {
      case STAR:
        this.finishLine(this.alias(at));
        return at;
      case BANG: {
        if (!text.startsWith("!reference ", at)) unsupported();
        const open = skipSpaces(text, at + 11);
        if (text.charCodeAt(open) !== OPEN_BRACKET) unsupported();
        this.finishLine(this.flow(open, true));
        return open;
      }
      case PIPE:
        this.literal(at, column);
        return at;
      case OPEN_BRACKET:
      case OPEN_BRACE:
        this.finishLine(this.flow(at, false));
        return at;
      case SINGLE_QUOTE:
      case DOUBLE_QUOTE: {
        const end = this.readQuoted(at);
        if (compact) {
          const colon = skipSpaces(text, end);
          if (text.charCodeAt(colon) === COLON && isSpaceOrBreak(text.charCodeAt(colon + 1))) {
            this.mapping(at - this.lineStart, at);
            return at;
          }
        }
        this.setScalar(this.quoted);
        this.finishLine(end);
        return at;
      }
      case DASH:
        if (isSpaceOrBreak(text.charCodeAt(at + 1))) {
          if (!compact) unsupported();
          this.sequence(at - this.lineStart, at, false);
          return at;
        }
        break;
      default:
        if (!canStartPlain(code)) unsupported();
    }
    if (this.scanPlain(at) === AT_KEY) {
      if (!compact) unsupported();
      this.mapping(at - this.lineStart, at);
      return at;
    }
    const end = this.plainEnd;
    this.setScalar(this.plain(text.slice(at, end), at, end));
    this.nextLine(lineEnd(text, this.stop));
    return at;
  }

  /**
   * A key starting at `at`: where its `:` ends, or -1 when the line holds no key. The key is
   * left in `keyName`, `keyText` and `keyQuoted`.
   */
  private readKey(at: number): number {
    const { text } = this;
    const code = text.charCodeAt(at);
    if (code === SINGLE_QUOTE || code === DOUBLE_QUOTE) {
      const end = this.readQuoted(at);
      const colon = skipSpaces(text, end);
      if (text.charCodeAt(colon) !== COLON || !isSpaceOrBreak(text.charCodeAt(colon + 1))) {
        return -1;
      }
      if (colon - at > MAX_KEY) unsupported();
      this.keyName = this.quoted;
      this.keyText = this.quoted;
      this.keyQuoted = true;
      return colon + 1;
    }
    if (!canStartPlain(code) || (code === DASH && isSpaceOrBreak(text.charCodeAt(at + 1)))) {
      return -1;
    }
    if (this.scanPlain(at) !== AT_KEY) return -1;
    if (this.stop - at > MAX_KEY) unsupported();
    const end = this.plainEnd;
    const source = text.slice(at, end);
    this.keyName = this.plain(source, at, end);
    this.keyText = source;
    this.keyQuoted = false;
    return this.stop + 1;
  }

  /**
   * Scans a plain scalar of the block context from `at` to the end of its line: AT_KEY when a
   * `:` followed by white space stops it (at `stop`), AT_END at a comment or the line's end.
   */
  private scanPlain(at: number): number {
    const { text } = this;
    let end = at;
    for (let index = at; ; index++) {
      const code = text.charCodeAt(index);
      if (code === COLON) {
        if (isSpaceOrBreak(text.charCodeAt(index + 1))) {
          this.plainEnd = end;
          this.stop = index;
          return AT_KEY;
        }
      } else if (code === LF || (code === HASH && text.charCodeAt(index - 1) === SPACE)) {
        this.plainEnd = end;
        this.stop = index;
        return AT_END;
      }
      if (code !== SPACE) end = index + 1;
    }
  }

  /** A plain scalar in a flow collection; returns what stopped it (`plainEnd`: its end). */
  private scanFlowPlain(at: number): number {
    const { text } = this;
    const first = text.charCodeAt(at);
    if (!canStartPlain(first)) unsupported();
    if (first === DASH) {
      const next = text.charCodeAt(at + 1);
      if (isSpaceOrBreak(next) || isFlowIndicator(next)) unsupported();
    }
    let end = at;
    let index = at;
    for (; ; index++) {
      const code = text.charCodeAt(index);
      if (isFlowIndicator(code)) break;
      if (code === COLON) {
        const next = text.charCodeAt(index + 1);
        if (isSpaceOrBreak(next) || isFlowIndicator(next) || next === QUESTION) break;
      } else if (code === HASH || code === LF) {
        unsupported();
      }
      if (code !== SPACE) end = index + 1;
    }
    this.plainEnd = end;
    return index;
  }

  /** A quoted scalar on one line starting at `at`; its value goes to `quoted`. Returns its end. */
  private readQuoted(at: number): number {
    const { text } = this;
    const quote = text.charCodeAt(at);
    let value = "";
    let from = at + 1;
    for (let index = from; ;) {
      const code = text.charCodeAt(index);
      if (code === LF) unsupported();
      if (code === quote) {
        if (quote === SINGLE_QUOTE && text.charCodeAt(index + 1) === SINGLE_QUOTE) {
          value += text.slice(from, index + 1);
          index += 2;
          from = index;
          continue;
        }
        this.quoted = value + text.slice(from, index);
        return index + 1;
      }
      if (code === BACKSLASH && quote === DOUBLE_QUOTE) {
        value += text.slice(from, index);
        const letter = text.charCodeAt(index + 1);
        const simple = simpleEscape(letter);
        if (simple !== undefined) {
          value += simple;
          index += 2;
        } else {
          const digits = hexEscapeLength(letter);
          if (digits === 0) unsupported();
          let point = 0;
          for (let digit = 0; digit < digits; digit++) {
            const nibble = hexDigit(text.charCodeAt(index + 2 + digit));
            if (nibble < 0) unsupported();
            point = point * 16 + nibble;
          }
          if ((point >= 0xd800 && point <= 0xdfff) || point > 0x10ffff) unsupported();
          value += String.fromCodePoint(point);
          index += 2 + digits;
        }
        from = index;
        continue;
      }
      index++;
    }
  }

  /** An alias at `at`: a copy of its anchor's value, counted as the builder counts. */
  private alias(at: number): number {
    const { ctx } = this;
    const end = nameEnd(this.text, at + 1);
    const name = this.text.slice(at + 1, end);
    if (this.opened.includes(name)) unsupported();
    const anchor = ctx.anchors.get(name);
    if (!anchor) unsupported();
    this.value = copyValue(ctx, anchor.value, 1, this.position(at));
    if (ctx.tooBig) unsupported();
    this.kind = "alias";
    this.height = anchor.height ?? 0;
    this.size = anchor.size ?? -1;
    return end;
  }

  /**
   * A flow sequence or mapping on one line, starting at `at`; `reference`: the sequence of a
   * `!reference` tag, of scalars only. Returns where it ends.
   */
  private flow(at: number, reference: boolean): number {
    this.enter();
    const { text } = this;
    let index = skipSpaces(text, at + 1);
    let height = 0;
    let size = 0;
    if (text.charCodeAt(at) === OPEN_BRACKET) {
      const list: unknown[] = [];
      if (!reference) recordOrigin(list, this.position(at));
      if (text.charCodeAt(index) !== CLOSE_BRACKET) {
        for (;;) {
          const start = index;
          index = skipSpaces(text, this.flowNode(index, reference));
          if (!reference) recordEntry(list, list.length, this.position(start));
          list.push(this.value);
          if (this.height > height) height = this.height;
          size = size >= 0 && this.size >= 0 ? size + this.size : -1;
          const code = text.charCodeAt(index);
          if (code === CLOSE_BRACKET) break;
          if (code !== COMMA) unsupported();
          index = skipSpaces(text, index + 1);
          if (text.charCodeAt(index) === CLOSE_BRACKET) unsupported();
        }
      }
      this.depth--;
      this.kind = "sequence";
      this.height = height + 1;
      if (reference) {
        this.value = referenceFromSequence(list, this.position(at));
        this.size = 40;
      } else {
        this.value = list;
        this.size = size >= 0 ? arraySize(list.length) + size : -1;
      }
      return index + 1;
    }
    if (reference) unsupported();
    const hash: Record<string, unknown> = {};
    recordOrigin(hash, this.position(at));
    let pairs = 0;
    let plainKeys = true;
    if (text.charCodeAt(index) !== CLOSE_BRACE) {
      for (;;) {
        const keyAt = index;
        const code = text.charCodeAt(index);
        let name: unknown;
        let keyText: string;
        const quoted = code === SINGLE_QUOTE || code === DOUBLE_QUOTE;
        if (quoted) {
          index = this.readQuoted(index);
          name = this.quoted;
          keyText = this.quoted;
        } else {
          index = this.scanFlowPlain(index);
          keyText = text.slice(keyAt, this.plainEnd);
          name = this.plain(keyText, keyAt, this.plainEnd);
        }
        index = skipSpaces(text, index);
        if (text.charCodeAt(index) !== COLON || text.charCodeAt(index + 1) !== SPACE) {
          unsupported();
        }
        index = skipSpaces(text, index + 1);
        const next = text.charCodeAt(index);
        if (next === COMMA || next === CLOSE_BRACE) unsupported();
        index = skipSpaces(text, this.flowNode(index, false));
        if (this.height > height) height = this.height;
        plainKeys &&= typeof name === "string" && name !== "<<";
        size = this.store(hash, name, plainKeys, quoted, keyText, keyAt, size);
        pairs++;
        const end = text.charCodeAt(index);
        if (end === CLOSE_BRACE) break;
        if (end !== COMMA) unsupported();
        index = skipSpaces(text, index + 1);
        if (text.charCodeAt(index) === CLOSE_BRACE) unsupported();
      }
    }
    this.depth--;
    this.value = hash;
    this.kind = "mapping";
    this.height = height + 1;
    this.size = size >= 0 ? hashSize(pairs) + size : -1;
    return index + 1;
  }

  /** An entry of a flow collection starting at `at`; returns where it ends. */
  private flowNode(at: number, reference: boolean): number {
    const { text } = this;
    const code = text.charCodeAt(at);
    if (code === OPEN_BRACKET || code === OPEN_BRACE) {
      if (reference) unsupported();
      return this.flow(at, false);
    }
    if (code === SINGLE_QUOTE || code === DOUBLE_QUOTE) {
      const end = this.readQuoted(at);
      this.setScalar(this.quoted);
      return end;
    }
    if (code === STAR) {
      if (reference) unsupported();
      return this.alias(at);
    }
    const stop = this.scanFlowPlain(at);
    const end = this.plainEnd;
    this.setScalar(this.plain(text.slice(at, end), at, end));
    return stop;
  }

  /**
   * A literal block scalar whose `|` is at `at`, in a collection in column `column`, read as
   * js-yaml's `readBlockScalar` reads it: the content's indentation is that of its first
   * non-empty line, or of a longer empty line before it, and at least `column + 1`.
   */
  private literal(at: number, column: number): void {
    const { text, length } = this;
    let index = at + 1;
    let code = text.charCodeAt(index);
    let chomping = CLIP;
    if (code === DASH || code === PLUS) {
      chomping = code === DASH ? STRIP : KEEP;
      code = text.charCodeAt(++index);
    }
    if (code === SPACE) {
      index = skipSpaces(text, index);
      code = text.charCodeAt(index);
      if (code === HASH) {
        index = lineEnd(text, index);
        code = LF;
      }
    }
    if (code !== LF) unsupported();
    let textIndent = column + 1;
    let detected = false;
    let read = false;
    let emptyLines = 0;
    let value = "";
    let lineStart = index;
    for (;;) {
      lineStart = ++index;
      let lineIndent = 0;
      while ((!detected || lineIndent < textIndent) && text.charCodeAt(index) === SPACE) {
        lineIndent++;
        index++;
      }
      if (!detected && lineIndent > textIndent) textIndent = lineIndent;
      if (text.charCodeAt(index) === LF) {
        emptyLines++;
        continue;
      }
      if (index >= length || lineIndent < textIndent) {
        if (chomping === KEEP) value += "\n".repeat(read ? 1 + emptyLines : emptyLines);
        else if (chomping === CLIP && read) value += "\n";
        break;
      }
      if (read || emptyLines > 0) value += "\n".repeat(read ? 1 + emptyLines : emptyLines);
      read = true;
      detected = true;
      emptyLines = 0;
      const end = lineEnd(text, index);
      value += text.slice(index, end);
      index = end;
    }
    this.setScalar(scalarValue(this.ctx, undefined, "block", value, at, index));
    this.skipToContent(lineStart);
  }
}
