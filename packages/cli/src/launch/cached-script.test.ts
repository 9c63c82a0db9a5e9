import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { cacheFileOf } from "./cached-script.js";

/** A small CommonJS bundle with a dependency beside it, in a folder of its own. */
function bundle(): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), "conveyor-cached-script-"));
  writeFileSync(join(dir, "dep.cjs"), "module.exports = { twice: (n) => 2 * n };\n");
  const file = join(dir, "command.cjs");
  writeFileSync(
    file,
    [
      '"use strict";',
      'const { twice } = require("./dep.cjs");',
      "function fold(list) { return list.reduce((sum, n) => sum + twice(n), 0); }",
      "exports.where = () => [__filename, __dirname];",
      "exports.fold = fold;",
      "",
    ].join("\n"),
  );
  return { dir, file };
}

interface ChildLoad {
  fromCache: boolean;
  folded: number;
  where: string[];
  saved: boolean;
}

/**
 * Loads the bundle in a process of its own, as the command does: V8 also keeps compiled code
 * for the life of a process, which would hide what the cache on disk does.
 */
function loadInChild(file: string, digest: string, cacheDir: string | undefined): ChildLoad {
  const module = new URL("./cached-script.js", import.meta.url).href;
  const script = `
    const { loadCachedScript } = await import(${JSON.stringify(module)});
    const loaded = loadCachedScript(${JSON.stringify({ file, digest, cacheDir })});
    const folded = loaded.exports.fold([1, 2, 3]);
    const where = loaded.exports.where();
    console.log(JSON.stringify({ fromCache: loaded.fromCache, folded, where, saved: loaded.saveCache() }));`;
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
    encoding: "utf8",
  });
  return JSON.parse(out) as ChildLoad;
}

test("the first load has no cache and writes one; the next compiles from it", () => {
  const { dir, file } = bundle();
  const cacheDir = join(dir, "cache");
  const first = loadInChild(file, "abc", cacheDir);
  assert.deepEqual(first, { fromCache: false, folded: 12, where: [file, dir], saved: true });
  const cacheFile = cacheFileOf(cacheDir, file, "abc");
  assert.equal(statSync(cacheFile).mode & 0o777, 0o600);
  assert.equal(statSync(cacheDir).mode & 0o777, 0o700);
  const written = readFileSync(cacheFile);
  // A cache V8 took is kept as it is.
  const second = loadInChild(file, "abc", cacheDir);
  assert.deepEqual(second, { fromCache: true, folded: 12, where: [file, dir], saved: false });
  assert.deepEqual(readFileSync(cacheFile), written);
});

test("a cache V8 refuses is compiled without and written again", () => {
  const { dir, file } = bundle();
  const cacheDir = join(dir, "cache");
  loadInChild(file, "abc", cacheDir);
  const cacheFile = cacheFileOf(cacheDir, file, "abc");
  writeFileSync(cacheFile, Buffer.from("not a code cache, but bytes of some length"));
  const refused = loadInChild(file, "abc", cacheDir);
  assert.deepEqual(refused, { fromCache: false, folded: 12, where: [file, dir], saved: true });
  assert.equal(loadInChild(file, "abc", cacheDir).fromCache, true);
});

test("the cache file is named after the bundle's digest, V8's version and the architecture", () => {
  // V8 checks only the length of the source: a bundle changed in place must not meet its old cache.
  const a = cacheFileOf("/c", "/x/plan.cjs", "0123456789abcdef0123");
  assert.equal(a, `/c/plan-0123456789abcdef-v8-${process.versions.v8}-${process.arch}`);
  assert.notEqual(a, cacheFileOf("/c", "/x/plan.cjs", "fedcba9876543210fedc"));
  assert.notEqual(a, cacheFileOf("/c", "/x/lint.cjs", "0123456789abcdef0123"));
  // V8 refuses a cache made under other flags: a process with flags of its own tags its caches.
  const tagged = cacheFileOf("/c", "/x/plan.cjs", "0123456789abcdef0123", "brief");
  assert.equal(tagged, `${a}-brief`);
});

test("without a cache folder, or with one that cannot be written, the bundle still runs", () => {
  const { dir, file } = bundle();
  assert.deepEqual(loadInChild(file, "abc", undefined), {
    fromCache: false,
    folded: 12,
    where: [file, dir],
    saved: false,
  });
  const blocked = join(dir, "a-file");
  writeFileSync(blocked, "");
  const unwritable = loadInChild(file, "abc", join(blocked, "cache"));
  assert.deepEqual(unwritable, { fromCache: false, folded: 12, where: [file, dir], saved: false });
  assert.equal(readFileSync(blocked, "utf8"), "");
  assert.equal(existsSync(join(blocked, "cache")), false);
});

test("writing a cache removes the same bundle's caches of other builds, not other bundles' or Node versions'", () => {
  const { dir, file } = bundle();
  const cacheDir = join(dir, "cache");
  const old = "00112233445566778899";
  loadInChild(file, old, cacheDir);
  const oldCache = cacheFileOf(cacheDir, file, old);
  const otherNode = join(cacheDir, `command-0011223344556677-v8-1.2.3-${process.arch}`);
  const otherBundle = join(
    cacheDir,
    `commander-0011223344556677-v8-${process.versions.v8}-${process.arch}`,
  );
  writeFileSync(otherNode, "x");
  writeFileSync(otherBundle, "x");
  const upgraded = loadInChild(file, "aabbccddeeff00112233", cacheDir);
  assert.equal(upgraded.saved, true);
  assert.equal(existsSync(oldCache), false);
  assert.ok(existsSync(cacheFileOf(cacheDir, file, "aabbccddeeff00112233")));
  assert.ok(existsSync(otherNode));
  assert.ok(existsSync(otherBundle));
});

test("a tagged cache and an untagged one of the same build live side by side", () => {
  const { dir, file } = bundle();
  const cacheDir = join(dir, "cache");
  const digest = "00112233445566778899";
  loadInChild(file, digest, cacheDir);
  writeFileSync(cacheFileOf(cacheDir, file, digest, "brief"), "x");
  // A new build writes its untagged cache and prunes the old untagged one only.
  loadInChild(file, "aabbccddeeff00112233", cacheDir);
  assert.equal(existsSync(cacheFileOf(cacheDir, file, digest)), false);
  assert.ok(existsSync(cacheFileOf(cacheDir, file, digest, "brief")));
  assert.ok(existsSync(cacheFileOf(cacheDir, file, "aabbccddeeff00112233")));
});
