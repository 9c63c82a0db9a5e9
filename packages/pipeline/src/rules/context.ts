/** What `rules`, `only`/`except` and `workflow:rules` are evaluated against. */
export interface RuleContext {
  /** Variables visible to `if` expressions, already expanded. */
  lookup: (name: string) => string | undefined;
  /** Expands `$VAR` in `changes`/`exists` globs with the same variables. */
  expand: (value: string) => string;
  /** Paths changed by this pipeline's event; `undefined` when GitLab cannot know them. */
  changedPaths: readonly string[] | undefined;
  /** Paths changed between the pipeline's commit and `ref`, for `changes:compare_to`. */
  changedPathsComparedTo?: (ref: string) => readonly string[] | undefined;
  /** Every file in the repository at the pipeline's commit. */
  repositoryFiles: readonly string[];
}
