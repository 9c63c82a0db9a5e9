import assert from "node:assert/strict";
import { test } from "node:test";
import { RenderError } from "./errors.js";
import { fillYaml, fillYamlText, plainScalarValue } from "./placeholders.js";

const values = (text: string, given: Record<string, string>): unknown[] =>
  fillYaml(text, given, "t.yml").map((document) => document.value);

test("__NAME__ and ${name} placeholders are filled in values and keys", () => {
  const [doc] = values(
    "name: __APP_NAME__-${suffix}\nlabels:\n  __KEY__: ${value}\nimage: registry.example.test/__NS__/__APP_NAME__:__VERSION__\n",
    { APP_NAME: "shop", suffix: "web", KEY: "tier", value: "front", NS: "team", VERSION: "1.2.3" },
  );
  assert.deepEqual(doc, {
    name: "shop-web",
    labels: { tier: "front" },
    image: "registry.example.test/team/shop:1.2.3",
  });
});

test("a plain scalar that is one placeholder takes the value's YAML type; quoted or mixed stays a string", () => {
  const [doc] = values(
    'replicas: __REPLICAS__\nquoted: "__REPLICAS__"\nflag: ${flag}\nmixed: v__REPLICAS__\nport: ${port}\nempty: ${empty}\n',
    { REPLICAS: "2", flag: "true", port: "8080", empty: "" },
  );
  assert.deepEqual(doc, {
    replicas: 2,
    quoted: "2",
    flag: true,
    mixed: "v2",
    port: 8080,
    empty: "",
  });
});

test("a value is one scalar: it cannot add keys, items or documents", () => {
  const evil = "x\nextra: injected\n---\nkind: Secret";
  const documents = fillYaml("a: ${v}\nb: __V__\nlist: [${v}]\n", { v: evil, V: "y: 1" }, "t.yml");
  assert.equal(documents.length, 1);
  assert.deepEqual(documents[0]?.value, { a: evil, b: "y: 1", list: [evil] });
});

test("${name} works inside flow collections, where `{` would open a mapping", () => {
  const [doc] = values('command: ["httpd", "-p", "${port}", ${more}]\n', {
    port: "80",
    more: "-f",
  });
  assert.deepEqual(doc, { command: ["httpd", "-p", "80", "-f"] });
});

test("placeholders in comments are left alone", () => {
  const [doc] = values(
    "# __NAME__ placeholders are filled from CI variables.\na: 1 # ${nothing}\n",
    {},
  );
  assert.deepEqual(doc, { a: 1 });
});

test("$${name} is a literal ${name}; ${...} that is not an identifier is text", () => {
  const [doc] = values("script: echo $${HOME} ${VAR:-x} __lower__\n", {});
  assert.deepEqual(doc, { script: "echo ${HOME} ${VAR:-x} __lower__" });
});

test("unknown placeholders are errors naming the file, the line and each placeholder", () => {
  const text =
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: __APP_NAME__\ndata:\n  a: |\n    first\n    ${missing}\n";
  assert.throws(
    () => fillYaml(text, {}, "k8s/cm.yml"),
    (error: unknown) => {
      assert.ok(error instanceof RenderError);
      assert.deepEqual(
        error.problems.map((problem) => [problem.file, problem.line, problem.message]),
        [
          ["k8s/cm.yml", 4, "no value for placeholder __APP_NAME__"],
          ["k8s/cm.yml", 8, "no value for placeholder ${missing}"],
        ],
      );
      assert.match(
        error.message,
        /^k8s\/cm\.yml, line 4, document 1: no value for placeholder __APP_NAME__$/m,
      );
      return true;
    },
  );
});

test("invalid YAML is an error naming the file and line", () => {
  assert.throws(
    () => fillYaml("a: 1\nb: [unclosed\nc: 2\n", {}, "bad.yml"),
    (error: unknown) =>
      error instanceof RenderError &&
      error.problems[0]?.file === "bad.yml" &&
      /invalid YAML/.test(error.message),
  );
});

test("documents carry their 1-based index and the line of their start marker, empty ones included", () => {
  const documents = fillYaml("a: 1\n---\n---\nb: 2\n", {}, "m.yml");
  assert.deepEqual(
    documents.map((document) => [document.index, document.line, document.value]),
    [
      [1, 1, { a: 1 }],
      [2, 2, null],
      [3, 3, { b: 2 }],
    ],
  );
});

test("fillYamlText prints the filled template back as YAML with its comments", () => {
  const out = fillYamlText(
    "# keep ${this}\nimage: ${image}\n---\nname: $${literal}\n",
    { image: "app:1" },
    "k.yml",
  );
  assert.equal(out, "# keep ${this}\nimage: app:1\n---\nname: ${literal}\n");
});

test("plainScalarValue follows the YAML 1.2 core schema", () => {
  assert.equal(plainScalarValue("0x1F"), 31);
  assert.equal(plainScalarValue("0o17"), 15);
  assert.equal(plainScalarValue("1.5e3"), 1500);
  assert.equal(plainScalarValue("~"), null);
  assert.equal(plainScalarValue("FALSE"), false);
  assert.equal(plainScalarValue("yes"), "yes");
  assert.equal(plainScalarValue("1.2.3"), "1.2.3");
});
