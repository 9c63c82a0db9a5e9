#!/usr/bin/env node
// Compiles GitLab's CI schema (packages/pipeline/schema/ci.json) into standalone ES modules, so
// that nothing compiles the schema at run time (compiling it with Ajv costs 250-500 ms):
//
// - packages/pipeline/schema/ci-validator.js: `conforms`, compiled for speed (stops at the first
//   error, no error details, shared definitions called instead of inlined, annotations left
//   out): whether a configuration is valid, which is all a valid configuration needs. Every
//   command that reads a configuration loads it.
// - packages/pipeline/schema/ci-explainer.js: `validate`, compiled to explain (every error, with
//   the failing keyword's schema). It is loaded, with `import()`, only for a configuration
//   `conforms` refused: it is the larger of the two, and parsing it costs every start.
//
// Neither Ajv option that differs between them (allErrors, verbose, inlineRefs, messages) nor
// the annotations changes whether a document is valid (https://ajv.js.org/options.html).
//
// The modules sit beside ci.json, outside src/ and dist/, so that src/schema/*.ts (run with tsx)
// and dist/schema/*.js (compiled) reach them by the same relative path. Their types are in the
// hand-written .d.ts files next to them.
//
// The modules are build artifacts (git-ignored). They record what they were built from, so a
// run with nothing changed does nothing.
//
// Usage: node scripts/build-schema.mjs [--check | --force]
//   --check  exit 1 if a module is missing or stale (other ci.json, script or Ajv version)
//   --force  regenerate even when up to date
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const schemaDir = fileURLToPath(new URL("../packages/pipeline/schema/", import.meta.url));
const schemaFile = `${schemaDir}ci.json`;
const outFile = `${schemaDir}ci-validator.js`;
const explainerFile = `${schemaDir}ci-explainer.js`;

const schemaText = readFileSync(schemaFile, "utf8");
const sha256 = createHash("sha256").update(schemaText).digest("hex");
const stamp = `export const schemaSha256 = "${sha256}";`;
// The output also depends on this script and on the Ajv versions that generate it.
const require = createRequire(import.meta.url);
const inputs = [
  schemaText,
  readFileSync(fileURLToPath(import.meta.url), "utf8"),
  require("ajv/package.json").version,
  require("ajv-formats/package.json").version,
];
const inputsHash = createHash("sha256").update(inputs.join("\u0000")).digest("hex");
const inputsLine = `// inputs: ${inputsHash}`;

const isUpToDate = (file) => {
  const existing = existsSync(file) ? readFileSync(file, "utf8") : "";
  return existing.includes(stamp) && existing.includes(inputsLine);
};
const upToDate = isUpToDate(outFile) && isUpToDate(explainerFile);
if (process.argv.includes("--check")) {
  if (!upToDate) {
    console.error(
      `build-schema: ${outFile} or ${explainerFile} is missing or stale; run node scripts/build-schema.mjs`,
    );
    process.exit(1);
  }
  process.exit(0);
}
if (upToDate && !process.argv.includes("--force")) process.exit(0);

const { default: Ajv } = await import("ajv");
const { default: addFormats } = await import("ajv-formats");
const { default: standaloneCode } = await import("ajv/dist/standalone/index.js");

// GitLab's own spec options (ci_schema_spec.js).
const SPEC_OPTIONS = { strictTypes: false, strictTuples: false, allowMatchingProperties: true };
const schema = JSON.parse(schemaText);

/** Ajv's standalone ES module code for `schema` compiled with `options`. */
function standalone(options, compiled = schema) {
  const ajv = new Ajv({ ...SPEC_OPTIONS, ...options, code: { source: true, esm: true } });
  ajv.addKeyword("markdownDescription");
  addFormats(ajv);
  return standaloneCode(ajv, ajv.compile(compiled));
}

// Ajv's esm output still calls require() for its runtime helpers and for ajv-formats
// (ajv-validator/ajv#1976); turn each distinct module into a default import of the CJS module.
const modules = new Map();
function withImports(code) {
  const out = code.replace(/require\("([^"]+)"\)/g, (_, name) => {
    if (!modules.has(name)) modules.set(name, `__cjs${modules.size}`);
    return modules.get(name);
  });
  if (/\brequire\(/.test(out)) throw new Error("build-schema: unexpected require() left in output");
  return out;
}

// The explaining validator: allErrors so that one run reports every problem, and verbose so
// that a failed oneOf/anyOf error carries its alternatives (which the error mapping weighs).
const full = withImports(standalone({ allErrors: true, verbose: true }));
// The whole schema is in its output once, as the root function's schema constant; the error
// mapping follows `$ref`s through it without a second copy.
const rootName = /const (schema\d+) = \{"\$schema":/.exec(full)?.[1];
if (!rootName) throw new Error("build-schema: root schema constant not found in output");
// JSON Schema draft-07 keywords whose value is a schema, a map of schemas or a list of schemas
// (https://json-schema.org/draft-07/json-schema-validation), and the annotations that do not
// take part in validation (section 10): the deciding validator's schema goes without those.
const SUBSCHEMA = [
  "additionalItems",
  "additionalProperties",
  "contains",
  "propertyNames",
  "not",
  "if",
  "then",
  "else",
  "items",
];
const SUBSCHEMA_MAPS = ["properties", "patternProperties", "definitions", "dependencies"];
const SUBSCHEMA_LISTS = ["allOf", "anyOf", "oneOf", "items"];
const ANNOTATIONS = new Set([
  "title",
  "description",
  "markdownDescription",
  "examples",
  "$comment",
]);

/** `schema` without annotations: what decides validity only. */
function withoutAnnotations(schema) {
  if (schema === null || typeof schema !== "object" || Array.isArray(schema)) return schema;
  const out = {};
  for (const [key, value] of Object.entries(schema)) {
    if (ANNOTATIONS.has(key)) continue;
    if (SUBSCHEMA_LISTS.includes(key) && Array.isArray(value)) {
      out[key] = value.map(withoutAnnotations);
    } else if (SUBSCHEMA.includes(key)) {
      out[key] = withoutAnnotations(value);
    } else if (SUBSCHEMA_MAPS.includes(key) && value !== null && typeof value === "object") {
      // `dependencies` maps to a schema or to a list of property names (left as it is).
      out[key] = Object.fromEntries(
        Object.entries(value).map(([name, sub]) => [
          name,
          Array.isArray(sub) ? sub : withoutAnnotations(sub),
        ]),
      );
    } else {
      out[key] = value;
    }
  }
  return out;
}

// The deciding validator.
const fast = withImports(
  standalone(
    { allErrors: false, verbose: false, messages: false, inlineRefs: false },
    withoutAnnotations(schema),
  ),
);

const importsOf = (code) =>
  [...modules]
    .filter(([, id]) => new RegExp(`\\b${id}\\b`).test(code))
    .map(([name, id]) => `import ${id} from "${name}.js";`);
const generated =
  "// Generated by scripts/build-schema.mjs from ci.json (GitLab's CI schema; see NOTICE). Do not edit.";

const fastCode = fast
  .replace(/^"use strict";/, "")
  .replace(
    /export const validate = (validate\d+);export default \1;/,
    "export const conforms = $1;",
  );
if (!/export const conforms = validate\d+;/.test(fastCode)) {
  throw new Error("build-schema: validator export not found in output");
}
const validatorCode = [generated, inputsLine, ...importsOf(fast), stamp, fastCode].join("\n");
writeFileSync(outFile, `${validatorCode}\n`);
console.log(`build-schema: wrote ${outFile} (${Math.round(validatorCode.length / 1024)} KB)`);

const explainerCode = [
  "/* eslint-disable */",
  generated,
  inputsLine,
  ...importsOf(full),
  stamp,
  `export { ${rootName} as rootSchema };`,
  full.replace(/^"use strict";/, ""),
].join("\n");
writeFileSync(explainerFile, `${explainerCode}\n`);
console.log(`build-schema: wrote ${explainerFile} (${Math.round(explainerCode.length / 1024)} KB)`);
