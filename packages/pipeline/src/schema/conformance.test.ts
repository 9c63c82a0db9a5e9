/**
 * GitLab's own schema fixtures, checked the way GitLab's spec checks them (see the corpus
 * README): every unit of a positive fixture validates with no diagnostics, every unit of a
 * negative fixture yields at least one. The corpus lives outside the repository, in
 * `../shared/conformance/gitlab-ci-schema` relative to the repository root.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import validate from "../../schema/ci-explainer.js";
import { conforms } from "../../schema/ci-validator.js";
import { validateSchema } from "./index.js";

/** Units the schema gets wrong today, with why. A listed unit that starts passing fails. */
const KNOWN_FAILURES: ReadonlyMap<string, string> = new Map([
  [
    "positive/run.yml#step_using_action",
    "the fixture (35b6ac04) uses `action:` in a run step; the schema (0e3af7b0) only allows " +
      "step/func or script; a newer upstream run.yml is not available",
  ],
]);

type Mode = "per-top-level-key" | "each-top-level-value-is-a-document" | null;

interface ManifestEntry {
  file: string;
  expect: "valid" | "invalid";
  upstreamMode: Mode;
}

interface Unit {
  name: string;
  document: unknown;
}

function repositoryRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && "workspaces" in JSON.parse(readFileSync(manifest, "utf8"))) {
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error("conformance: no repository root above this test file");
    dir = parent;
  }
}

const root = repositoryRoot();
const corpus = join(root, "..", "shared", "conformance", "gitlab-ci-schema");

function load(file: string): unknown {
  const text = readFileSync(join(corpus, file), "utf8");
  if (file.endsWith(".json")) return JSON.parse(text);
  // YAML 1.2 (`yaml`'s default core schema), one document, no custom tags: as GitLab's spec.
  const documents = parseAllDocuments(text);
  if (!Array.isArray(documents) || documents.length !== 1) {
    throw new Error(`${file}: expected exactly one YAML document`);
  }
  const [document] = documents;
  if (!document || document.errors.length > 0) {
    throw new Error(`${file}: ${document?.errors[0]?.message ?? "no document"}`);
  }
  return document.toJS();
}

function unitsOf(entry: ManifestEntry): Unit[] {
  const document = load(entry.file);
  if (entry.upstreamMode === null) return [{ name: entry.file, document }];
  if (document === null || typeof document !== "object" || Array.isArray(document)) {
    throw new Error(`${entry.file}: ${entry.upstreamMode} needs a mapping at the top`);
  }
  return Object.entries(document).map(([key, value]) => ({
    name: `${entry.file}#${key}`,
    document: entry.upstreamMode === "per-top-level-key" ? { [key]: value } : value,
  }));
}

function fixtureFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) fixtureFiles(path, out);
    else if (/\.(ya?ml|json)$/.test(name)) out.push(relative(corpus, path));
  }
  return out;
}

if (!existsSync(join(corpus, "manifest.json"))) {
  test("GitLab CI schema conformance corpus", () => {
    assert.fail(
      `corpus not found at ${corpus}: it is expected as ../shared/conformance/gitlab-ci-schema ` +
        `next to the repository root (${root})`,
    );
  });
} else {
  const manifest = JSON.parse(readFileSync(join(corpus, "manifest.json"), "utf8")) as {
    fixtures: ManifestEntry[];
  };
  const seen = new Set<string>();

  test("the shipped ci.json is the corpus's ci.json", () => {
    const sha = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");
    const shipped = fileURLToPath(new URL("../../schema/ci.json", import.meta.url));
    assert.equal(sha(shipped), sha(join(corpus, "ci.json")));
  });

  test("the manifest lists every fixture file", () => {
    const listed = new Set(manifest.fixtures.map((entry) => entry.file));
    const files = ["positive", "negative", "json-legacy"].flatMap((dir) =>
      fixtureFiles(join(corpus, dir)),
    );
    assert.deepEqual(
      files.filter((file) => !listed.has(file)),
      [],
    );
  });

  for (const entry of manifest.fixtures) {
    describe(`${entry.expect}: ${entry.file}`, () => {
      for (const unit of unitsOf(entry)) {
        seen.add(unit.name);
        test(unit.name, () => checkUnit(entry, unit));
      }
    });
  }

  test("every known failure names a unit of the corpus", () => {
    assert.deepEqual(
      [...KNOWN_FAILURES.keys()].filter((name) => !seen.has(name)),
      [],
    );
  });
}

async function checkUnit(entry: ManifestEntry, unit: Unit): Promise<void> {
  // The fast validator decides; the explaining one must agree with it on every unit.
  assert.equal(conforms(unit.document), validate(unit.document), `${unit.name}: validators differ`);
  const diagnostics = await validateSchema(unit.document, entry.file);
  const rejected = diagnostics.length > 0;
  const known = KNOWN_FAILURES.get(unit.name);
  const messages = diagnostics.map((d) => `${d.path}: ${d.message}`).join("\n  ");
  if (known !== undefined) {
    assert.equal(
      rejected,
      entry.expect === "valid",
      `${unit.name} is listed as a known failure (${known}) but now behaves as its folder ` +
        "says: remove it from KNOWN_FAILURES",
    );
    return;
  }
  if (entry.expect === "valid") {
    assert.equal(rejected, false, `${unit.name} should validate, got:\n  ${messages}`);
  } else {
    assert.equal(rejected, true, `${unit.name} should be rejected, got no diagnostic`);
    for (const d of diagnostics) {
      assert.ok(d.message.length > 0 && d.path.length > 0, `${unit.name}: empty diagnostic`);
    }
  }
}
