/**
 * Replaces `!reference` tags as GitLab's `Gitlab::Ci::Config::Yaml::Tags::Resolver` does once
 * includes and `extends` are merged:
 *
 * - a tag must be a non-empty sequence of strings, else "!reference <what was written> is not
 *   valid";
 * - its path is looked up in the merged, *unresolved* configuration with `Hash#dig`: only
 *   mappings are walked, so a path through a list or through another `!reference` is not
 *   found; a value that is missing, null or `false` gives "!reference [...] could not be
 *   found";
 * - the value found is itself resolved, so references nest (each tag is resolved once and
 *   cached); meeting a tag that is being resolved gives "!reference [...] is part of a circular
 *   chain";
 * - a referenced list stays one item of the list that holds the tag
 *   (`script: [!reference [.setup, script], echo hi]` gives a nested list). GitLab flattens it
 *   later: `Entry::Commands` accepts lists of strings nested up to 10 levels (the "nest up to
 *   10 levels" of GitLab's documentation) and flattens them.
 *
 * GitLab stops at the first error; this goes on and reports each failing tag once, the first
 * diagnostic being GitLab's. GitLab versions before merge request 219221 left tags inside
 * mappings inside a referenced list unresolved; this resolves them, as GitLab now does.
 *
 * Two guards GitLab lacks keep a hostile file from hanging the process: at most
 * MAX_COPIED_NODES nodes may be produced, and references and data may nest MAX_NESTING deep.
 *
 * The result shares every part of the configuration that holds no tag with the input.
 */
import { isMap, setEntry } from "../compose/deep-merge.js";
import { type Diagnostic, errorAt } from "../diagnostics.js";
import { rubyInspect } from "../ruby/inspect.js";
import { copyOrigin } from "../source-map.js";
import { copyKeyClasses } from "./key-classes.js";
import { ReferenceTag } from "./reference-tag.js";

const MAX_COPIED_NODES = 500_000;
const MAX_NESTING = 1000;

type Status = { state: "resolving" } | { state: "done"; value: unknown } | { state: "failed" };

/** Thrown up to the outermost tag once a nested tag failed (its diagnostic already recorded). */
class ResolveFailure extends Error {}

/** Thrown when the copies grow past MAX_COPIED_NODES: resolution stops altogether. */
class ResolveAbort extends Error {}

const MISSING = Symbol("missing");

export function resolveReferences(
  config: Record<string, unknown>,
  file: string,
): { value: Record<string, unknown>; diagnostics: Diagnostic[] } {
  const resolver = new Resolver(config, file);
  try {
    const value = resolver.walk(config, [], true) as Record<string, unknown>;
    return { value, diagnostics: resolver.diagnostics };
  } catch (error) {
    if (!(error instanceof ResolveFailure || error instanceof ResolveAbort)) throw error;
    return { value: config, diagnostics: resolver.diagnostics };
  }
}

class Resolver {
  readonly diagnostics: Diagnostic[] = [];
  private readonly status = new Map<ReferenceTag, Status>();
  /**
   * What `walkOutside` made of each mapping and list it walked. After `extends`, jobs share
   * much (a template's `rules`, its `before_script`): a shared part is walked once, and every
   * place that holds it gets the same result, as places that shared a part without tags did.
   * The diagnostics are the same too: a failing tag is reported once, at its first place.
   */
  private readonly walkedOutside = new Map<object, unknown>();
  /** Tags being resolved, outermost first. */
  private readonly resolving: ReferenceTag[] = [];
  private copied = 0;
  private nesting = 0;

  constructor(
    private readonly config: Record<string, unknown>,
    private readonly file: string,
  ) {}

  /**
   * A resolved copy of `value`. At the top (`contain`), a failing tag stays in place and the
   * walk goes on; inside a referenced value the failure propagates to the tag being resolved.
   */
  walk(value: unknown, where: string[], contain: boolean): unknown {
    if (value instanceof ReferenceTag) {
      if (!contain) return this.resolve(value, where);
      try {
        return this.resolve(value, where);
      } catch (error) {
        if (error instanceof ResolveFailure) return value;
        throw error;
      }
    }
    if (!Array.isArray(value) && !isMap(value)) return value;
    try {
      this.enter(where, contain);
      return contain ? this.walkOutside(value, where) : this.copy(value, where);
    } finally {
      this.nesting -= 1;
    }
  }

  /** A resolved copy of a mapping or list inside a referenced value (every node counted). */
  private copy(value: unknown[] | Record<string, unknown>, where: string[]): unknown {
    if (Array.isArray(value)) {
      const list = value.map((item) => this.walk(item, where, false));
      copyOrigin(value, list);
      return list;
    }
    const hash: Record<string, unknown> = {};
    copyOrigin(value, hash);
    for (const key of Object.keys(value)) {
      const child = value[key];
      // Only a mapping, list or tag needs its path (for diagnostics).
      const walked =
        child !== null && typeof child === "object"
          ? this.walk(child, [...where, key], false)
          : child;
      setEntry(hash, key, walked);
    }
    copyKeyClasses(value, hash);
    return hash;
  }

  /**
   * A mapping or list outside referenced values, resolved: itself when it holds no tag (the
   * configuration after `extends` shares much between jobs), otherwise a copy holding the
   * resolved values (a tag that failed stays in the copy).
   */
  private walkOutside(value: unknown[] | Record<string, unknown>, where: string[]): unknown {
    let walked = this.walkedOutside.get(value);
    if (walked === undefined) {
      walked = this.walkOutsideOnce(value, where);
      this.walkedOutside.set(value, walked);
    }
    return walked;
  }

  /**
   * `walk` of an item or value of a mapping or list outside referenced values. A part walked
   * before is not walked again, and gets no path: paths only name where a tag failed, which
   * the first walk reported.
   */
  private walkInside(child: object, where: string[], key?: string): unknown {
    const known = this.walkedOutside.get(child);
    if (known !== undefined) return known;
    return this.walk(child, key === undefined ? where : [...where, key], true);
  }

  private walkOutsideOnce(value: unknown[] | Record<string, unknown>, where: string[]): unknown {
    if (Array.isArray(value)) {
      let list: unknown[] | undefined;
      for (let index = 0; index < value.length; index++) {
        const item = value[index];
        const walked =
          item !== null && typeof item === "object" ? this.walkInside(item, where) : item;
        if (!list && (walked !== item || item instanceof ReferenceTag))
          list = value.slice(0, index);
        list?.push(walked);
      }
      if (!list) return value;
      copyOrigin(value, list);
      return list;
    }
    const keys = Object.keys(value);
    let walkedValues: unknown[] | undefined;
    for (let index = 0; index < keys.length; index++) {
      const key = keys[index]!;
      const child = value[key];
      const walked =
        child !== null && typeof child === "object" ? this.walkInside(child, where, key) : child;
      if (!walkedValues && (walked !== child || child instanceof ReferenceTag)) {
        walkedValues = keys.slice(0, index).map((before) => value[before]);
      }
      walkedValues?.push(walked);
    }
    if (!walkedValues) return value;
    const hash: Record<string, unknown> = {};
    copyOrigin(value, hash);
    keys.forEach((key, index) => setEntry(hash, key, walkedValues[index]));
    copyKeyClasses(value, hash);
    return hash;
  }

  /** One level deeper; the caller undoes `nesting` in a `finally`. */
  private enter(where: string[], contain: boolean): void {
    this.nesting += 1;
    if (!contain) this.copied += 1;
    const inner = this.resolving[this.resolving.length - 1];
    if (this.nesting > MAX_NESTING && inner) {
      this.failTag(inner, `!reference ${rubyInspect(inner.path)} is nested too deeply`, where);
    }
    const outer = this.resolving[0];
    if (this.copied > MAX_COPIED_NODES && outer) {
      const message = `!reference ${rubyInspect(outer.path)} expands to too much data`;
      this.diagnostics.push(errorAt(message, where.join(":"), outer.position, this.file));
      throw new ResolveAbort();
    }
  }

  private resolve(tag: ReferenceTag, where: string[]): unknown {
    const status = this.status.get(tag);
    if (status?.state === "failed") throw new ResolveFailure();
    if (status?.state === "done") return this.walk(status.value, where, false);
    const shown = `!reference ${tag.invalid ?? rubyInspect(tag.path)}`;
    if (tag.invalid !== undefined) this.failTag(tag, `${shown} is not valid`, where);
    if (status?.state === "resolving") {
      this.failTag(tag, `${shown} is part of a circular chain`, where);
    }
    this.status.set(tag, { state: "resolving" });
    this.resolving.push(tag);
    try {
      this.enter(where, false);
      const target = this.dig(tag.path);
      const value = target === MISSING ? undefined : this.walk(target, tag.path, false);
      if (value === undefined || value === null || value === false) {
        this.failTag(tag, `${shown} could not be found`, where);
      }
      this.status.set(tag, { state: "done", value });
      return value;
    } catch (error) {
      this.status.set(tag, { state: "failed" });
      throw error;
    } finally {
      this.nesting -= 1;
      this.resolving.pop();
    }
  }

  /** `Hash#dig` over the unresolved configuration. */
  private dig(path: string[]): unknown {
    let node: unknown = this.config;
    for (const key of path) {
      if (!isMap(node) || !Object.hasOwn(node, key)) return MISSING;
      node = node[key];
    }
    return node;
  }

  private failTag(tag: ReferenceTag, message: string, where: string[]): never {
    this.status.set(tag, { state: "failed" });
    this.diagnostics.push(errorAt(message, where.join(":"), tag.position, this.file));
    throw new ResolveFailure();
  }
}
