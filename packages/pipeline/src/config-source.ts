/**
 * The one port through which the pipeline language reads files: the repository's own files,
 * other projects, built-in templates, remote URLs and CI/CD components. Only include
 * resolution calls it; everything after that is a pure, synchronous function of the loaded
 * configuration and the event.
 *
 * Each read resolves to `undefined` when the file does not exist; it rejects only for a
 * failure that is not about the file's existence (network refused, disabled, permission), and
 * the caller reports that rejection against the include that asked, naming the include chain.
 * Calls may run concurrently; implementations keep no per-call state.
 */
export interface ConfigSource {
  /** A file of the project's repository at the pipeline's commit; `path` has no leading slash. */
  readLocal(path: string): Promise<string | undefined>;
  /** Every file path in the project's repository (for wildcard local includes and `exists`). */
  listLocal(): Promise<readonly string[]>;
  /** `include:project` + `file` at `ref` (undefined: that project's default branch). */
  readProject(project: string, file: string, ref: string | undefined): Promise<string | undefined>;
  /** `include:template`: a named CI template such as `Conveyor-Deploy.gitlab-ci.yml`. */
  readTemplate(name: string): Promise<string | undefined>;
  /** `include:remote`: a full https URL. The injected fetcher may be disabled: it then rejects. */
  readRemote(url: string): Promise<string | undefined>;
  /** `include:component`: `host/group/project/name@version`, resolved to the template's text. */
  readComponent(address: string): Promise<string | undefined>;
}
