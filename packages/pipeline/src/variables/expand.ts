/**
 * GitLab-side variable expansion: what GitLab does when it expands `environment:name`,
 * `include` paths, `image`, `rules:changes`, `workflow:name` and the like while it creates the
 * pipeline (Ruby's `ExpandVariables.expand`). The runner expands job variables again when the
 * job runs, with its own rules (`$$` becomes `$`); that is not modelled here.
 */

/** A variable name: an ASCII letter or `_`, then letters, digits or `_`. */
const NAME = "[a-zA-Z_][a-zA-Z0-9_]*";

/**
 * References `ExpandVariables.expand` replaces: `$NAME`, `${NAME}` and `%NAME%` (the Windows
 * form is recognised on the GitLab side too). `$$` is not an escape here: in `$$NAME` the second
 * `$` starts a reference. Fresh `RegExp` per call: a `g` regex keeps state.
 */
function referencePattern(): RegExp {
  return new RegExp(`\\$(${NAME})|\\$\\{(${NAME})\\}|%(${NAME})%`, "g");
}

/** What a lookup returns: a value, or a value with the file and masked flags. */
export type LookupResult = string | { value: string; file?: boolean; masked?: boolean };

/** Thrown by `expandVariables` with `failOnMasked` (GitLab's `ExpandVariables::VariableExpansionError`). */
export class VariableExpansionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "VariableExpansionError";
  }
}

/** Finds the variable a reference names; `undefined` when there is none. */
export type VariableLookup = (key: string) => LookupResult | undefined;

export interface ExpandOptions {
  /**
   * Keep references to unknown variables as written (GitLab's `expand_existing`) instead of
   * replacing them with the empty string (`expand`, the default).
   */
  keepUndefined?: boolean;
  /**
   * Replace a reference to a file-type variable with the file's content (default `true`, as in
   * GitLab: the path only exists on the runner). With `false` the reference is kept for the
   * runner, which expands it to the path.
   */
  expandFileRefs?: boolean;
  /**
   * Throw `VariableExpansionError("masked variables cannot be expanded")` when a reference
   * names a masked variable, as GitLab does where an expanded value could leak into the
   * configuration (the `expand_vars` input function).
   */
  failOnMasked?: boolean;
}

/** True when `value` contains `$` or `%`, i.e. might reference a variable. */
export function mayReferenceVariables(value: string): boolean {
  return value.includes("$") || value.includes("%");
}

/**
 * Expands `$NAME`, `${NAME}` and `%NAME%` in `value` once, left to right, with the values the
 * lookup gives. Expansion is not recursive: a value that itself contains `$OTHER` is inserted
 * as it is (variables referencing variables are resolved beforehand, by `sortAndExpandAll`).
 * An unknown variable becomes the empty string unless `keepUndefined` is set.
 */
export function expandVariables(
  value: string,
  lookup: VariableLookup,
  options: ExpandOptions = {},
): string {
  if (!mayReferenceVariables(value)) return value;
  const expandFileRefs = options.expandFileRefs ?? true;
  return value.replace(
    referencePattern(),
    (match, dollar?: string, braced?: string, percent?: string) => {
      const key = dollar ?? braced ?? percent ?? "";
      const found = lookup(key);
      if (found === undefined) return options.keepUndefined ? match : "";
      if (typeof found === "string") return found;
      if (options.failOnMasked && found.masked) {
        throw new VariableExpansionError("masked variables cannot be expanded");
      }
      if (found.file && !expandFileRefs) return match;
      return found.value;
    },
  );
}

/** A lookup over a plain record, e.g. `{ CI_COMMIT_BRANCH: "main" }`. */
export function recordLookup(record: Readonly<Record<string, string>>): VariableLookup {
  return (key) => (Object.hasOwn(record, key) ? record[key] : undefined);
}
