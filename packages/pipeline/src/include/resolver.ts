/**
 * Resolves `include` recursively into one configuration, as GitLab's
 * Gitlab::Ci::Config::External::Processor does (docs.gitlab.com/ci/yaml/includes/):
 * each file's includes are read in order, each included file has its own includes merged
 * into it first, the included files are deep-merged in order and the including file goes on top.
 *
 * Limits: `maxIncludes` files per pipeline (duplicates count, as in GitLab), a nesting depth,
 * a time limit, and a cycle check (a file that includes itself through its own chain, with the
 * same inputs, would never finish; GitLab only stops it at the include limit).
 */
import { type ConfigMap, deepMergeAll, isMap, setEntry } from "../compose/deep-merge.js";
import type { Diagnostic, SourcePosition } from "../diagnostics.js";
import { errorAt } from "../diagnostics.js";
import { copyOrigin } from "../source-map.js";
import { blankVariables, childContext, contextKey, describeFile } from "./file-context.js";
import { headerIncludedInputs } from "./header-inputs.js";
import { type ComponentContext, interpolateInputs } from "./interpolate.js";
import {
  checkEntry,
  expandParams,
  type IncludeEntry,
  includeEntries,
  type Location,
  matchLocation,
  normalizeString,
} from "./locations.js";
import { contextError, parseComponentAddress, readLocation } from "./read.js";
import {
  DEFAULT_INCLUDE_LIMITS,
  type FileContext,
  type IncludeDeps,
  type IncludedFile,
  type IncludeLimits,
  type LoadedYamlLike,
} from "./types.js";
import { isWildcard, matchWildcard } from "./wildcard.js";

interface Frame {
  /** The file's name in diagnostics. */
  file: string;
  /** Names of the files that included this one, root first. */
  chain: string[];
  context: FileContext;
  depth: number;
  /** Identities of this file and its includers, for the cycle check. */
  keys: string[];
  /** For self-inclusion through a wildcard: the file's path when it is a local file. */
  localPath?: string;
}

class Halt extends Error {}

/** A shallow copy of `map` without `key`, keeping positions. */
function withoutKey(map: ConfigMap, key: string): ConfigMap {
  const copy: ConfigMap = {};
  copyOrigin(map, copy);
  for (const [k, value] of Object.entries(map)) if (k !== key) setEntry(copy, k, value);
  return copy;
}

export class Resolver {
  readonly diagnostics: Diagnostic[] = [];
  readonly files: IncludedFile[] = [];
  private readonly limits: IncludeLimits;
  private readonly now: (() => number) | undefined;
  private readonly started: number;
  private count = 0;

  constructor(private readonly deps: IncludeDeps) {
    this.limits = { ...DEFAULT_INCLUDE_LIMITS, ...deps.limits };
    this.now = deps.now;
    this.started = deps.now?.() ?? 0;
  }

  async resolveRoot(
    file: string,
    text: string,
    inputs?: Record<string, unknown>,
  ): Promise<ConfigMap> {
    const frame: Frame = {
      file,
      chain: [],
      context: { kind: "pipeline" },
      depth: 0,
      keys: [],
      localPath: file,
    };
    frame.keys.push(`pipeline|local|${file}|${JSON.stringify(inputs ?? {})}`);
    const loaded = await this.deps.load(text, file);
    this.diagnostics.push(...loaded.diagnostics);
    if (loaded.diagnostics.some((d) => d.severity === "error")) return {};
    const value = loaded.value ?? {};
    if (!isMap(value)) {
      this.diagnostics.push(errorAt("Invalid configuration format", "", undefined, file));
      return {};
    }
    const included = await headerIncludedInputs(
      { header: loaded.header, file, context: frame.context, isComponent: false, suffix: "" },
      this.deps.source,
      this.deps.load,
      this.diagnostics,
    );
    if (!included) return {};
    const outcome = interpolateInputs(value, loaded.header, inputs, file, {
      expand: this.deps.expand,
      includedInputs: included,
      text,
    });
    this.diagnostics.push(...outcome.diagnostics);
    if (outcome.diagnostics.some((d) => d.severity === "error")) return {};
    try {
      return await this.expand(outcome.value as ConfigMap, frame);
    } catch (error) {
      if (error instanceof Halt) return {};
      throw error;
    }
  }

  /**
   * The include chain, for findings in or about files below the root's own includes. A finding
   * about an entry of the root file keeps GitLab's exact wording: its `file` already says where.
   */
  private suffix(frame: Frame): string {
    if (frame.chain.length === 0) return "";
    return ` (included from ${[...frame.chain, frame.file].join(" → ")})`;
  }

  private error(
    frame: Frame,
    message: string,
    at: SourcePosition | undefined,
    path = "include",
  ): void {
    this.diagnostics.push(errorAt(`${message}${this.suffix(frame)}`, path, at, frame.file));
  }

  private expandVariables(frame: Frame, text: string): string {
    return frame.context.kind === "public" ? blankVariables(text) : this.deps.expand(text);
  }

  /** `value` with its `include` resolved and removed. */
  private async expand(value: ConfigMap, frame: Frame): Promise<ConfigMap> {
    if (!Object.hasOwn(value, "include")) return value;
    const entries = includeEntries(value.include);
    if (!entries.ok) {
      this.error(frame, entries.message, entries.entry?.position);
      return withoutKey(value, "include");
    }
    const locations: Location[] = [];
    for (const entry of entries.value) locations.push(...(await this.locate(entry, frame)));
    const reads = locations.map((location) =>
      contextError(location, frame.context)
        ? undefined
        : readLocation(this.deps.source, location, frame.context),
    );
    const contents: ConfigMap[] = [];
    for (const [index, location] of locations.entries()) {
      const content = await this.include(location, reads[index], frame);
      if (content) contents.push(content);
    }
    return deepMergeAll([...contents, withoutKey(value, "include")]);
  }

  /** The files one `include` entry names: rules, variables, `file:` arrays and wildcards applied. */
  private async locate(entry: IncludeEntry, frame: Frame): Promise<Location[]> {
    const problem = checkEntry(entry);
    if (problem) {
      this.error(frame, problem, entry.position);
      return [];
    }
    const params =
      typeof entry.value === "string"
        ? normalizeString(this.expandVariables(frame, entry.value))
        : entry.value;
    if (params.rules !== undefined) {
      const verdict = this.deps.matchesIncludeRules(
        params.rules,
        frame.file,
        "include",
        frame.context,
      );
      if (typeof verdict === "object") {
        this.error(frame, verdict.error, entry.position, "include:rules");
        return [];
      }
      if (!verdict) return [];
    }
    const perFile =
      params.project !== undefined && Array.isArray(params.file)
        ? params.file.map((file) => ({ ...params, file }))
        : [params];
    const located: Location[] = [];
    for (const raw of perFile) {
      const expanded = expandParams(raw, (text) => this.expandVariables(frame, text));
      for (const one of await this.expandWildcard(expanded, entry, frame)) {
        const matched = matchLocation(entry, one);
        if (matched.ok) located.push(matched.value);
        else this.error(frame, matched.message, entry.position);
      }
    }
    return located;
  }

  private async expandWildcard(
    params: ConfigMap,
    entry: IncludeEntry,
    frame: Frame,
  ): Promise<ConfigMap[]> {
    const pattern = params.local;
    if (typeof pattern !== "string" || !isWildcard(pattern)) return [params];
    if (frame.context.kind !== "pipeline") {
      this.error(
        frame,
        `Local file \`${pattern}\` uses a wildcard, which Conveyor supports only in the pipeline's own project`,
        entry.position,
      );
      return [];
    }
    const normalized = pattern.replace(/^\/+/, "");
    let listed: readonly string[];
    try {
      listed = await this.deps.source.listLocal();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.error(
        frame,
        `Local file \`${pattern}\` could not be listed because ${reason}!`,
        entry.position,
      );
      return [];
    }
    const paths = matchWildcard(normalized, listed);
    // GitLab skips the file holding the wildcard, so that it does not include itself.
    return paths
      .filter((path) => path !== frame.localPath)
      .map((path) => ({ ...params, local: path }));
  }

  private checkLimits(frame: Frame, location: Location): void {
    const elapsed = this.now ? this.now() - this.started : 0;
    if (this.limits.timeoutMs !== undefined && elapsed > this.limits.timeoutMs) {
      this.error(
        frame,
        "Request timed out when fetching configuration files.",
        location.entry.position,
      );
      throw new Halt();
    }
    if (this.count >= this.limits.maxIncludes) {
      this.error(
        frame,
        `Maximum of ${this.limits.maxIncludes} nested includes are allowed!`,
        location.entry.position,
      );
      throw new Halt();
    }
    if (frame.depth + 1 > this.limits.maxDepth) {
      this.error(
        frame,
        `Maximum include depth of ${this.limits.maxDepth} exceeded by \`${location.location}\``,
        location.entry.position,
      );
      throw new Halt();
    }
  }

  /** Reads, interpolates and expands one included file; `undefined` when it failed. */
  private async include(
    location: Location,
    read: Promise<{ ok: true; text: string } | { ok: false; message: string }> | undefined,
    frame: Frame,
  ): Promise<ConfigMap | undefined> {
    this.checkLimits(frame, location);
    this.count++;
    const at = location.entry.position;
    const refused = contextError(location, frame.context);
    if (refused || !read) {
      this.error(frame, refused ?? "", at);
      return undefined;
    }
    const described = describeFile(location, frame.context);
    const context = childContext(location, frame.context);
    const key = `${contextKey(context)}|${location.type}|${described.name}|${JSON.stringify(location.inputs ?? {})}`;
    const chain = [...frame.chain, frame.file];
    if (frame.keys.includes(key)) {
      this.error(
        frame,
        `Included file \`${described.name}\` includes itself: ${[...chain, described.name].join(" → ")}`,
        at,
      );
      return undefined;
    }
    const result = await read;
    if (!result.ok) {
      this.error(frame, result.message, at);
      return undefined;
    }
    this.files.push({
      type: location.type,
      location: location.location,
      file: described.name,
      chain,
      project: described.project,
      ref: described.ref,
    });
    const loaded = await this.deps.load(result.text, described.name);
    const suffix = this.suffix(frame);
    for (const d of loaded.diagnostics)
      this.diagnostics.push({ ...d, message: `${d.message}${suffix}` });
    if (loaded.diagnostics.some((d) => d.severity === "error")) return undefined;
    const child: Frame = {
      file: described.name,
      chain,
      context,
      depth: frame.depth + 1,
      keys: [...frame.keys, key],
      localPath:
        location.type === "local" && context.kind === "pipeline" ? location.location : undefined,
    };
    const body = await this.interpolate(location, loaded, frame, child, result.text);
    if (!body) return undefined;
    const expanded = await this.expand(body, child);
    if (Object.keys(expanded).length === 0) {
      this.error(
        frame,
        `Included file \`${location.location}\` does not have valid YAML syntax!`,
        at,
      );
      return undefined;
    }
    return expanded;
  }

  /** The port gives a component's text only: its commit SHA and catalog version are unknown. */
  private warnUnknownComponentContext(
    header: unknown,
    file: string,
    prefix: string,
    suffix: string,
  ) {
    const spec = isMap(header) ? header.spec : undefined;
    const wanted = isMap(spec) && Array.isArray(spec.component) ? spec.component : [];
    for (const field of ["sha", "version"]) {
      if (!wanted.includes(field)) continue;
      this.diagnostics.push({
        severity: "warning",
        message: `${prefix}\`$[[ component.${field} ]]\` is empty: Conveyor does not know the component's ${field}${suffix}`,
        file,
        path: "spec:component",
      });
    }
  }

  private async interpolate(
    location: Location,
    loaded: LoadedYamlLike,
    frame: Frame,
    child: Frame,
    text: string,
  ): Promise<ConfigMap | undefined> {
    const suffix = this.suffix(frame);
    const prefix = `\`${location.location}\`: `;
    const value = loaded.value;
    if (value !== null && value !== undefined && !isMap(value)) {
      this.error(frame, `${prefix}Invalid configuration format`, location.entry.position);
      return undefined;
    }
    const included = await headerIncludedInputs(
      {
        header: loaded.header,
        file: child.file,
        context: child.context,
        isComponent: location.type === "component",
        suffix,
      },
      this.deps.source,
      this.deps.load,
      this.diagnostics,
    );
    if (!included) return undefined;
    let component: ComponentContext | undefined;
    if (location.type === "component") {
      const address = parseComponentAddress(location.location);
      component = { name: address.name, reference: address.reference, sha: null, version: null };
      this.warnUnknownComponentContext(loaded.header, child.file, `${prefix}`, suffix);
    }
    const outcome = interpolateInputs(
      value ?? {},
      loaded.header,
      location.inputs as Record<string, unknown>,
      child.file,
      {
        expand: frame.context.kind === "public" ? undefined : this.deps.expand,
        component,
        includedInputs: included,
        inputsAt: { file: frame.file, position: location.entry.position },
        prefix,
        suffix,
        text,
      },
    );
    this.diagnostics.push(...outcome.diagnostics);
    if (outcome.diagnostics.some((d) => d.severity === "error")) return undefined;
    return outcome.value as ConfigMap;
  }
}
