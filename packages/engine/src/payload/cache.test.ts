/**
 * The cache keys GitLab's server puts in the job payload (lib/gitlab/ci/pipeline/seed/build/cache.rb,
 * app/models/ci/build.rb#cache), entry by entry.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { cacheKeyFileLists, cachesOf } from "./cache.js";

const digests: Record<string, string> = { "Gemfile.lock": "feef" };
const inputs = (protectedRef: boolean) => ({
  expand: (value: string) => value,
  filesDigest: (files: string[]) => files.map((file) => digests[file]).find(Boolean),
  protectedRef,
});

describe("cachesOf: keys", () => {
  const table: [
    label: string,
    entry: Record<string, unknown>,
    protectedRef: boolean,
    key: string,
  ][] = [
    ["no key: default", { paths: ["a"] }, false, "default-non_protected"],
    [
      "a string key as written",
      { key: "gems-$CI_COMMIT_REF_SLUG" },
      false,
      "gems-$CI_COMMIT_REF_SLUG-non_protected",
    ],
    ["a protected ref", { key: "gems" }, true, "gems-protected"],
    ["unprotect on a protected ref", { key: "gems", unprotect: true }, true, "gems-non_protected"],
    [
      "files with a prefix",
      { key: { files: ["Gemfile.lock"], prefix: "rspec" } },
      false,
      "rspec-feef-non_protected",
    ],
    [
      "files none of which exists",
      { key: { files: ["missing.lock"], prefix: "rspec" } },
      false,
      "rspec-default-non_protected",
    ],
    [
      "a blank prefix is dropped",
      { key: { files: ["Gemfile.lock"], prefix: "" } },
      false,
      "feef-non_protected",
    ],
  ];
  for (const [label, entry, protectedRef, key] of table) {
    it(label, () => assert.equal(cachesOf(entry, inputs(protectedRef))[0]?.key, key));
  }

  it("files without a prefix: the entry's index in the job's cache list", () => {
    const caches = cachesOf([{ key: "a" }, { key: { files: ["Gemfile.lock"] } }], inputs(false));
    assert.equal(caches[1]?.key, "1-feef-non_protected");
  });

  it("fallback keys get the same suffix", () => {
    const [cache] = cachesOf(
      { key: "gems", fallback_keys: ["gems-main", "default"] },
      inputs(true),
    );
    assert.deepEqual(cache?.fallback_keys, ["gems-main-protected", "default-protected"]);
  });
});

describe("cacheKeyFileLists", () => {
  it("lists the files of each key:files entry, one map or a list of them", () => {
    assert.deepEqual(
      cacheKeyFileLists([
        { key: "plain" },
        { key: { files: ["Gemfile.lock", "package-lock.json"] } },
        { key: { prefix: "p" } },
        { key: { files: ["yarn.lock"], prefix: "y" } },
      ]),
      [["Gemfile.lock", "package-lock.json"], ["yarn.lock"]],
    );
    assert.deepEqual(cacheKeyFileLists({ key: { files: ["a.lock"] } }), [["a.lock"]]);
    assert.deepEqual(cacheKeyFileLists(undefined), []);
  });
});
