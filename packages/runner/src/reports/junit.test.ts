import assert from "node:assert/strict";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { createGzip } from "../artifacts/gzip.js";
import { tempDir, writeTree } from "../artifacts/test-fixtures.js";
import { readDotenvReport, readJunitReport } from "./index.js";
import { parseJunit, rubyToF } from "./junit.js";
import { parseXml, xmlToHash, XmlSyntaxError } from "./xml.js";

const counts = (s: ReturnType<typeof parseJunit>) => [
  s.total,
  s.success,
  s.failed,
  s.error,
  s.skipped,
];

describe("parseJunit counts as GitLab", () => {
  it("counts passed, failed, errored and skipped cases of a testsuites document", () => {
    const summary = parseJunit(`<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="all" tests="5">
  <testsuite name="math" tests="3" time="0.5">
    <testcase classname="Math" name="adds" time="0.1"/>
    <testcase classname="Math" name="divides" time="0.2">
      <failure message="expected 2" type="AssertionError">expected 2, got 3
  at math.test.js:10</failure>
      <system-out>[[ATTACHMENT|screens/divide.png]]</system-out>
    </testcase>
    <testcase classname="Math" name="roots" time="1e-3"><error message="boom"/></testcase>
  </testsuite>
  <testsuite name="io">
    <testcase classname="IO" name="reads" time="0.3"><skipped/></testcase>
    <testcase classname="IO" name="writes" time="abc"><skipped message="later"/></testcase>
  </testsuite>
</testsuites>`);
    assert.deepEqual(counts(summary), [5, 1, 1, 1, 2]);
    assert.equal(summary.suite_error, undefined);
    assert.ok(Math.abs(summary.time - 0.601) < 1e-9);
    assert.deepEqual(
      summary.suites.map((s) => [s.name, s.total, s.success, s.failed, s.error, s.skipped]),
      [
        ["math", 3, 1, 1, 1, 0],
        ["io", 2, 0, 0, 0, 2],
      ],
    );
    const divides = summary.cases.find((c) => c.name === "divides")!;
    assert.deepEqual(
      { ...divides },
      {
        suite: "math",
        name: "divides",
        classname: "Math",
        file: null,
        status: "failed",
        time: 0.2,
        message: "expected 2, got 3\n  at math.test.js:10",
        system_output:
          "expected 2, got 3\n  at math.test.js:10\n\nSystem Out:\n\n[[ATTACHMENT|screens/divide.png]]",
        attachment: "screens/divide.png",
      },
    );
    assert.equal(summary.cases.find((c) => c.name === "roots")!.message, "boom");
    assert.equal(summary.cases.find((c) => c.name === "writes")!.time, 0);
  });

  const table: [label: string, xml: string, expected: number[]][] = [
    [
      "a bare testsuite",
      '<testsuite name="s"><testcase name="a"/><testcase name="b"/></testsuite>',
      [2, 2, 0, 0, 0],
    ],
    [
      "nested testsuites (PHPUnit)",
      '<testsuites><testsuite name="outer"><testsuite name="inner"><testcase name="a"/></testsuite><testcase name="b"/></testsuite></testsuites>',
      [2, 2, 0, 0, 0],
    ],
    [
      "cases directly under testsuites",
      '<testsuites name="t"><testcase name="a"/></testsuites>',
      [1, 1, 0, 0, 0],
    ],
    ["a testcase at the top is not read", '<testcase name="a"/>', [0, 0, 0, 0, 0]],
    [
      "testsuites inside a testsuite are not read",
      '<testsuite name="s"><testsuites><testsuite name="x"><testcase name="a"/></testsuite></testsuites></testsuite>',
      [0, 0, 0, 0, 0],
    ],
    [
      "a testcase without attributes is dropped",
      '<testsuite name="s"><testcase/><testcase></testcase></testsuite>',
      [0, 0, 0, 0, 0],
    ],
    [
      "missing attributes still count",
      '<testsuite><testcase/><testcase classname="C"/><testcase name="n"><failure/></testcase></testsuite>',
      [2, 1, 1, 0, 0],
    ],
    [
      "failure wins over error and skipped",
      '<testsuite name="s"><testcase name="a"><skipped/><error/><failure/></testcase></testsuite>',
      [1, 0, 1, 0, 0],
    ],
    [
      "duplicates (same suite, class, name and status) count once",
      '<testsuite name="s"><testcase classname="c" name="a"/><testcase classname="c" name="a"/><testcase classname="c" name="a"><failure/></testcase></testsuite>',
      [2, 1, 1, 0, 0],
    ],
    ["an empty document has no cases and no error", "  \n", [0, 0, 0, 0, 0]],
    ["a document without testsuites", "<results><case/></results>", [0, 0, 0, 0, 0]],
  ];
  for (const [label, xml, expected] of table) {
    it(label, () => {
      const summary = parseJunit(xml);
      assert.equal(summary.suite_error, undefined);
      assert.deepEqual(counts(summary), expected);
    });
  }

  it("reports malformed XML as GitLab does, with every count at 0", () => {
    const summary = parseJunit('<testsuite name="s"><testcase name="a"></testsuite>');
    assert.deepEqual(counts(summary), [0, 0, 0, 0, 0]);
    assert.deepEqual(summary.cases, []);
    assert.match(
      summary.suite_error!,
      /^JUnit XML parsing failed: 1:\d+: FATAL: Opening and ending tag mismatch: testcase line 1 and testsuite$/,
    );
  });

  it("reports structural problems as data parsing failures", () => {
    assert.equal(
      parseJunit('<testsuite name="s"><testcase>text only</testcase></testsuite>').suite_error,
      "JUnit data parsing failed: string not matched",
    );
    assert.equal(
      parseJunit('<testsuite name="s" type="symbol"><testcase name="a"/></testsuite>').suite_error,
      'JUnit data parsing failed: Disallowed type attribute: "symbol"',
    );
    const limited = parseJunit('<testsuite><testcase name="a"/><testcase name="b"/></testsuite>', {
      maxTestCases: 1,
    });
    assert.equal(
      limited.suite_error,
      "JUnit data parsing failed: number of test cases exceeded the limit of 1",
    );
    assert.equal(limited.total, 0);
  });

  it("names cases outside a named suite after the job's suite", () => {
    const summary = parseJunit('<testsuite><testcase name="a"/></testsuite>', {
      suiteName: "rspec",
    });
    assert.equal(summary.cases[0]!.suite, "rspec");
    assert.equal(parseJunit('<testsuite><testcase name="a"/></testsuite>').cases[0]!.suite, null);
  });

  it("merges several blobs into one suite", () => {
    const summary = parseJunit([
      '<testsuite name="a"><testcase name="x"/></testsuite>',
      '<testsuite name="b"><testcase name="y"><failure>f</failure></testcase></testsuite>',
    ]);
    assert.deepEqual(counts(summary), [2, 1, 1, 0, 0]);
  });

  it("reads Ruby's to_f", () => {
    const table: [string, number][] = [
      ["1.5", 1.5],
      ["  2", 2],
      ["1_000.5", 1000.5],
      ["3s", 3],
      ["abc", 0],
      ["", 0],
      ["-0.25", -0.25],
      ["1e3", 1000],
      [".5", 0.5],
    ];
    for (const [input, output] of table) assert.equal(rubyToF(input), output, input);
  });
});

describe("xml conversion (Hash.from_xml)", () => {
  it("decodes entities, CDATA and keeps attributes, dashes becoming underscores", () => {
    const hash = xmlToHash(
      '<!-- c --><!DOCTYPE x [<!ENTITY y "z">]><r a="1 &amp; 2"><system-out><![CDATA[<raw>]]> &#65;&#x42;</system-out><e/><e/></r>',
    );
    assert.ok(hash instanceof Map);
    const root = hash.get("r") as Map<string, unknown>;
    assert.equal(root.get("a"), "1 & 2");
    assert.equal(root.get("system_out"), "<raw> AB");
    assert.deepEqual(root.get("e"), [null, null]);
  });

  it("drops namespace prefixes and declarations, and spaces tabs and newlines in attributes", () => {
    const hash = xmlToHash('<q:r xmlns="urn:a" xmlns:q="urn:q" q:b="x\ty\nz"><q:c>1</q:c></q:r>');
    assert.deepEqual(
      hash,
      new Map([
        [
          "r",
          new Map([
            ["c", "1"],
            ["b", "x y z"],
          ]),
        ],
      ]),
    );
  });

  const errors: [string, RegExp][] = [
    ["<a><b></a>", /Opening and ending tag mismatch: b line 1 and a/],
    ["<a>", /Premature end of data in tag a line 1/],
    ["<a/><b/>", /Extra content at the end of the document/],
    ["text", /Start tag expected, '<' not found/],
    ["<a x='1' x='2'/>", /Attribute x redefined/],
    ["<a>&nbsp;</a>", /Entity 'nbsp' not defined/],
    ["<a></a><b/>", /Extra content at the end of the document/],
    ["<r>\n<s>\n<t>", /^3:4: FATAL: Premature end of data in tag t line 3$/],
  ];
  for (const [xml, message] of errors) {
    it(`rejects ${xml}`, () => {
      assert.throws(
        () => parseXml(xml),
        (err: Error) => err instanceof XmlSyntaxError && message.test(err.message),
      );
    });
  }
});

describe("stored reports", () => {
  const { dir, cleanup } = tempDir();
  after(cleanup);
  writeTree(dir, {
    "a.xml": '<testsuite name="a"><testcase name="x"/></testsuite>',
    "b.xml": '<testsuite name="b"><testcase name="y"><error/></testcase></testsuite>',
    "build.env": "VERSION=1.2.3\nURL=https://example.com\n",
  });

  it("reads a gzip junit report member by member", async () => {
    const file = join(dir, "junit.gz");
    await createGzip({ baseDir: dir, files: ["a.xml", "b.xml"], output: file });
    assert.deepEqual(counts(await readJunitReport(file)), [2, 1, 0, 1, 0]);
  });

  it("reads a gzip dotenv report", async () => {
    const file = join(dir, "dotenv.gz");
    await createGzip({ baseDir: dir, files: ["build.env"], output: file });
    assert.deepEqual((await readDotenvReport(file)).variables, [
      { key: "VERSION", value: "1.2.3" },
      { key: "URL", value: "https://example.com" },
    ]);
  });
});
