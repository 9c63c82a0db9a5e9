export { nonStringKeyClass } from "./key-classes.js";
export { DEFAULT_YAML_LIMITS, type YamlLimits } from "./limits.js";
export { type LoadedYaml, loadYaml } from "./load-yaml.js";
export { ReferenceTag } from "./reference-tag.js";
export { resolveReferences } from "./resolve-references.js";
export { YamlSymbol } from "./yaml-symbol.js";
