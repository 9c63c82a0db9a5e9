import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sha256Hex } from "../hash/sha256.js";
import { environmentSlug, environmentSlugSuffix, slugify, suffixFromDigest } from "./slug.js";

describe("slugify (CI_COMMIT_REF_SLUG, CI_JOB_NAME_SLUG, CI_PROJECT_PATH_SLUG)", () => {
  it("lowercases and replaces everything but a-z and 0-9 with -", () => {
    assert.equal(slugify("feature/ABC-123_do-the.Thing"), "feature-abc-123-do-the-thing");
    assert.equal(slugify("release/1.2.x"), "release-1-2-x");
  });

  it("strips leading and trailing - but keeps inner runs", () => {
    assert.equal(slugify("-Leading--and-trailing-"), "leading--and-trailing");
  });

  it("cuts to 63 bytes before trimming, so a - at the cut disappears", () => {
    const long = `${"a".repeat(70)}-b`;
    assert.equal(slugify(long), "a".repeat(63));
    assert.equal(slugify(`${"x".repeat(62)}/y`), "x".repeat(62));
  });

  it("turns each non-ASCII character into one - (GitLab's own job name example too)", () => {
    assert.equal(slugify("Über/Straße"), "ber-stra-e");
    assert.equal(slugify("rspec:test 1"), "rspec-test-1");
    // Checked against Ruby: İ lowercases to i + combining dot; the emoji is one character.
    assert.equal(slugify("İSTANBUL/Ünïcode ẞ 😀x"), "i-stanbul--n-code----x");
  });

  it("slugifies a project path", () => {
    assert.equal(slugify("Group/Sub.Group/My_Project"), "group-sub-group-my-project");
  });
});

describe("sha256Hex", () => {
  it("matches the FIPS 180-4 test vectors", () => {
    assert.equal(
      sha256Hex("abc"),
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
    assert.equal(sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    // Several 64-byte blocks.
    assert.equal(
      sha256Hex("a".repeat(1000)),
      "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3",
    );
  });

  it("hashes the UTF-8 bytes", () => {
    assert.equal(environmentSlugSuffix("Ünïcode/env"), "fr4940");
  });
});

describe("environmentSlug (CI_ENVIRONMENT_SLUG)", () => {
  it("takes the last six base-36 digits of the digest (GitLab's spec: 'a'*64 gives q517sa)", () => {
    assert.equal(suffixFromDigest("a".repeat(64)), "q517sa");
  });

  // GitLab's spec/lib/gitlab/slug/environment_spec.rb table, with the real SHA-256 suffixes
  // (the spec stubs the digest; these were computed with GitLab's algorithm in Ruby).
  const table: Record<string, string> = {
    "staging-12345678901234567": "staging-123456789-s729ne",
    "9-staging-123456789012345": "env-9-staging-123-f6hm7j",
    "staging-1234567890123456": "staging-1234567890123456",
    "staging-1234567890123456-": "staging-123456789-y52hkh",
    production: "production",
    PRODUCTION: "production-vl4voz",
    "review/1-foo": "review-1-foo-9tdj0u",
    "1-foo": "env-1-foo-1k46wz",
    "1/foo": "env-1-foo-t4rmb4",
    "foo-": "foo",
    "foo--bar": "foo-bar-q006cp",
    "foo**bar": "foo-bar-3jfdn1",
    "*-foo": "env-foo-i1o6om",
    "staging-12345678-": "staging-12345678",
    "staging-12345678-01234567": "staging-12345678-f21q2q",
    "": "env-qhkd3p",
  };
  for (const [name, slug] of Object.entries(table)) {
    it(`${JSON.stringify(name)} -> ${slug}`, () => {
      assert.equal(environmentSlug(name), slug);
    });
  }

  it("never exceeds 24 characters and is deterministic", () => {
    const slug = environmentSlug("review/feature-branch");
    assert.equal(slug, "review-feature-br-bcdhvp");
    assert.ok(slug.length <= 24);
    assert.equal(environmentSlug("review/feature-branch"), slug);
  });
});
