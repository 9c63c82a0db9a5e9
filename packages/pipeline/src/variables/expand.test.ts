// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${NAME} is the CI variable syntax under test
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { VariableSet } from "./collection.js";
import {
  expandVariables,
  mayReferenceVariables,
  recordLookup,
  VariableExpansionError,
} from "./expand.js";

const vars = recordLookup({ NAME: "main", EMPTY: "", NESTED: "$NAME" });

describe("expandVariables (GitLab's ExpandVariables.expand)", () => {
  it("expands $VAR, ${VAR} and %VAR%", () => {
    assert.equal(expandVariables("a/$NAME/b", vars), "a/main/b");
    assert.equal(expandVariables("a/${NAME}_x", vars), "a/main_x");
    assert.equal(expandVariables("a/%NAME%/b", vars), "a/main/b");
  });

  it("reads the longest name after $", () => {
    assert.equal(expandVariables("$NAME_x", vars), "");
    assert.equal(expandVariables("${NAME}_x", vars), "main_x");
  });

  it("expands unknown variables to the empty string", () => {
    assert.equal(expandVariables("review/$UNKNOWN-${ALSO}%NOPE%", vars), "review/-");
  });

  it("keeps unknown references with keepUndefined (expand_existing)", () => {
    assert.equal(expandVariables("$NAME/$UNKNOWN", vars, { keepUndefined: true }), "main/$UNKNOWN");
  });

  it("is not recursive", () => {
    assert.equal(expandVariables("x$NESTED", vars), "x$NAME");
  });

  it("does not treat $$ as an escape on the GitLab side", () => {
    assert.equal(expandVariables("$$NAME", vars), "$main");
  });

  it("leaves text that is not a reference alone", () => {
    assert.equal(expandVariables("cost: $5, 100% ${} %1% $-", vars), "cost: $5, 100% ${} %1% $-");
    assert.equal(mayReferenceVariables("plain"), false);
  });

  it("inserts a file variable's content, or keeps the reference with expandFileRefs: false", () => {
    const set = new VariableSet([
      { key: "KUBECONFIG", value: "apiVersion: v1", file: true, source: "project" },
    ]);
    assert.equal(expandVariables("cfg=$KUBECONFIG", set.lookup), "cfg=apiVersion: v1");
    assert.equal(
      expandVariables("cfg=$KUBECONFIG", set.lookup, { expandFileRefs: false }),
      "cfg=$KUBECONFIG",
    );
  });

  it("uses the last variable of a key (the winning one)", () => {
    const set = new VariableSet([
      { key: "A", value: "low", source: "yaml-global" },
      { key: "A", value: "high", source: "project" },
    ]);
    assert.equal(expandVariables("$A", set.lookup), "high");
  });

  it("does not see inherited object properties", () => {
    assert.equal(expandVariables("[$constructor][$toString]", vars), "[][]");
  });
});

describe("expandVariables with failOnMasked", () => {
  const set = new VariableSet([
    { key: "TOKEN", value: "s3cr3t-value", masked: true, source: "project" },
    { key: "PLAIN", value: "p", source: "project" },
  ]);

  it("refuses to expand a masked variable", () => {
    assert.throws(
      () => expandVariables("x/$TOKEN", set.lookup, { failOnMasked: true }),
      (error: unknown) =>
        error instanceof VariableExpansionError &&
        error.message === "masked variables cannot be expanded",
    );
  });

  it("expands masked variables without the option, and others with it", () => {
    assert.equal(expandVariables("%TOKEN%", set.lookup), "s3cr3t-value");
    assert.equal(expandVariables("$PLAIN", set.lookup, { failOnMasked: true }), "p");
  });
});
