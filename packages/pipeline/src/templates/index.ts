/**
 * Conveyor's built-in CI templates (`include: template: NAME`), looked up by file name. GitLab
 * serves its own templates the same way: by name, from the product, with no project and no
 * variables (https://docs.gitlab.com/ci/yaml/#includetemplate). Pure: the texts are data.
 */
import { CONVEYOR_DEPLOY_TEMPLATE } from "./conveyor-deploy.js";

const TEMPLATES: Readonly<Record<string, string>> = {
  "Conveyor-Deploy.gitlab-ci.yml": CONVEYOR_DEPLOY_TEMPLATE,
};

/** The template's text, or undefined when Conveyor has no template of that name. */
export function builtinTemplate(name: string): string | undefined {
  return Object.hasOwn(TEMPLATES, name) ? TEMPLATES[name] : undefined;
}

/** The names of the built-in templates. */
export function builtinTemplateNames(): string[] {
  return Object.keys(TEMPLATES).sort();
}
