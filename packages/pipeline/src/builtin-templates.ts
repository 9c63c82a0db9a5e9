/**
 * Conveyor's built-in CI templates (`include: template: NAME`), the files in this package's
 * `templates/` folder. GitLab serves its own templates the same way: by file name, from the
 * product, with no project and no variables (https://docs.gitlab.com/ci/yaml/#includetemplate).
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/** The folder holding the templates (resolved through the package, so bundles find it too). */
export function builtinTemplatesDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve("@conveyor/pipeline/package.json")), "templates");
}

/** A template's text, or undefined when there is no template of that name. */
export async function readBuiltinTemplate(name: string): Promise<string | undefined> {
  // Names are plain file names: nothing may reach outside the folder.
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*\.gitlab-ci\.yml$/.test(name)) return undefined;
  try {
    return await readFile(join(builtinTemplatesDir(), name), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}
