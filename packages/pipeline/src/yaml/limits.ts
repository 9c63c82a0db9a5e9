/**
 * Limits on one YAML document, with GitLab's defaults.
 *
 * GitLab (`Gitlab::Config::Loader::Yaml#too_big?`) measures each loaded document with
 * `Gitlab::Utils::DeepSize` against the instance settings `max_yaml_size_bytes` (default 2 MB
 * since GitLab 17.3, merge request 160826; 1 MB before) and `max_yaml_depth` (default 100), and
 * refuses it with "The parsed YAML is too big". DeepSize sums Ruby's in-memory object sizes
 * (`ObjectSpace.memsize_of`), not the file's length: a 200 KB file can exceed 1 MB.
 */
export interface YamlLimits {
  /** Largest estimated in-memory size of one parsed document (GitLab's `max_yaml_size_bytes`). */
  maxBytes: number;
  /** Deepest nesting of mappings and sequences, the root counting 1 (`max_yaml_depth`). */
  maxDepth: number;
  /**
   * Most nodes that aliases and merge keys may copy in one document. GitLab has no such
   * setting: there the size limit stops a "billion laughs" document. Each copied node costs
   * GitLab at least 8 bytes, so the default (2 MiB / 8) never refuses a document GitLab accepts.
   */
  maxAliasExpansion: number;
}

export const DEFAULT_YAML_LIMITS: YamlLimits = Object.freeze({
  maxBytes: 2 * 1024 * 1024,
  maxDepth: 100,
  maxAliasExpansion: (2 * 1024 * 1024) / 8,
});

/** GitLab's message for a document over any of the limits. */
export const TOO_BIG_MESSAGE = "The parsed YAML is too big";
