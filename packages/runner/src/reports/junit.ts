/**
 * The `artifacts:reports:junit` report as GitLab counts it (lib/gitlab/ci/parsers/test/junit.rb,
 * lib/gitlab/ci/reports/test_suite.rb, test_case.rb):
 * - the XML becomes a Rails hash (see xml.ts); test cases are read from one top-level
 *   `<testsuites>` (cases directly under it belong to it) and from `<testsuite>` elements at the
 *   top or nested in one another (PHPUnit); a `<testcase>` at the top level, or a
 *   `<testsuites>` inside a `<testsuite>`, is not read; a `<testcase/>` without attributes or
 *   children is dropped;
 * - status: `<failure>` → failed, else `<error>` → error, else `<skipped>` → skipped, else success;
 * - a case is identified by suite name, classname and name: a second case with the same
 *   identity and status replaces the first (counted once), its time still adds to the total;
 * - `time` is read like Ruby's `to_f` (leading number, else 0);
 * - a malformed document gives "JUnit XML parsing failed: …", a bad structure or too many cases
 *   "JUnit data parsing failed: …"; then every count is 0.
 * Docs: https://docs.gitlab.com/ci/testing/unit_test_reports/
 */
import { blank, XmlSyntaxError, xmlToHash, type XmlHash, type XmlValue } from "./xml.js";

export type JunitStatus = "success" | "failed" | "error" | "skipped";

export interface JunitCase {
  /** The enclosing `<testsuite>`'s (or `<testsuites>`') `name`, else `options.suiteName`. */
  suite: string | null;
  name: string | null;
  classname: string | null;
  file: string | null;
  status: JunitStatus;
  /** Seconds. */
  time: number;
  /** Text of `<failure>`/`<error>`/`<skipped>`, or its `message` attribute when it has no text. */
  message?: string;
  /** What GitLab shows as the case's output: the failure text, then system-out and system-err. */
  system_output?: string;
  /** Path from a `[[ATTACHMENT|path]]` tag in system-out (failed and error cases). */
  attachment?: string;
}

export interface JunitCounts {
  total: number;
  success: number;
  failed: number;
  error: number;
  skipped: number;
  /** Seconds. */
  time: number;
}

export interface JunitSuite extends JunitCounts {
  name: string | null;
}

export interface JunitSummary extends JunitCounts {
  /** Per `<testsuite>` name, in order of first appearance. */
  suites: JunitSuite[];
  /** The counted cases (duplicates collapsed), in order of first appearance. */
  cases: JunitCase[];
  /** GitLab's suite error; when set, every count is 0 and the lists are empty. */
  suite_error?: string;
}

export interface JunitOptions {
  /** GitLab's test suite name (the job's name): the suite of cases outside a named suite. */
  suiteName?: string;
  /** `max_test_cases_per_report` plan limit; 0 (default) means no limit. */
  maxTestCases?: number;
}

/** GitLab's XmlConverter limit. */
export const JUNIT_MAX_XML_BYTES = 30 * 1024 * 1024;

class DataError extends Error {}

const ATTACHMENT = /\[\[ATTACHMENT\|([^[\]|]+?)\]\]/;

/** Ruby's String#to_f. */
export function rubyToF(value: string): number {
  const match = /^[\s]*([+-]?(?:\d[\d_]*)?(?:\.\d[\d_]*)?(?:[eE][+-]?\d+)?)/.exec(value);
  const n = Number.parseFloat((match?.[1] ?? "").replace(/_/g, ""));
  return Number.isFinite(n) ? n : 0;
}

/** Ruby's `inspect`/`to_s` for the values of the hash shape. */
function rubyString(value: XmlValue | undefined, top = true): string {
  if (value === null || value === undefined) return top ? "" : "nil";
  if (typeof value === "string") return top ? value : JSON.stringify(value);
  if (value instanceof Map) {
    const parts = [...value].map(([k, v]) => `${JSON.stringify(k)}=>${rubyString(v, false)}`);
    return `{${parts.join(", ")}}`;
  }
  return `[${value.map((v) => rubyString(v, false)).join(", ")}]`;
}

function textOf(value: XmlValue | undefined): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === "string" ? value : rubyString(value);
}

function flattenCompact(values: (XmlValue | undefined)[]): XmlValue[] {
  const out: XmlValue[] = [];
  for (const v of values) {
    if (v === null || v === undefined) continue;
    if (Array.isArray(v)) out.push(...flattenCompact(v));
    else out.push(v);
  }
  return out;
}

function joinRuby(values: XmlValue[], sep: string): string {
  return values.map((v) => (Array.isArray(v) ? joinRuby(v, sep) : rubyString(v))).join(sep);
}

/** all_cases: walks `testsuites`/`testsuite` as GitLab does. */
function allCases(
  root: XmlValue | undefined,
  parent: XmlValue | undefined,
  visit: (testCase: XmlHash, suiteName: XmlValue | undefined) => void,
): void {
  if (blank(root ?? null)) return;
  for (const node of flattenCompact([root])) {
    if (!(node instanceof Map)) continue;
    if (parent === undefined) allCases(node.get("testsuites"), root, visit);
    if (parent !== undefined) eachCase(node.get("testcase"), node.get("name"), visit);
    allCases(node.get("testsuite"), root, visit);
  }
}

function eachCase(
  testcase: XmlValue | undefined,
  suiteName: XmlValue | undefined,
  visit: (testCase: XmlHash, suiteName: XmlValue | undefined) => void,
): void {
  if (blank(testcase ?? null)) return;
  for (const tc of flattenCompact([testcase])) {
    if (!(tc instanceof Map)) throw new DataError("string not matched");
    tc.set("suite_name", suiteName ?? null);
    visit(tc, suiteName);
  }
}

function messageOf(value: XmlValue | undefined): string | undefined {
  if (typeof value === "string") return value;
  if (value instanceof Map) {
    const m = value.get("message");
    if (typeof m === "string") return m;
  }
  return undefined;
}

function createCase(data: XmlHash, options: JunitOptions): JunitCase {
  const systemOut = data.has("system_out")
    ? `System Out:\n\n${rubyString(data.get("system_out"))}`
    : null;
  const systemErr = data.has("system_err")
    ? `System Err:\n\n${rubyString(data.get("system_err"))}`
    : null;
  let status: JunitStatus = "success";
  let detail: XmlValue | undefined;
  if (data.has("failure")) {
    status = "failed";
    detail = data.get("failure");
  } else if (data.has("error")) {
    status = "error";
    detail = data.get("error");
  } else if (data.has("skipped")) {
    status = "skipped";
    detail = data.get("skipped");
  }
  const time = data.get("time");
  if (time instanceof Map || Array.isArray(time)) {
    throw new DataError(
      `undefined method 'to_f' for an instance of ${time instanceof Map ? "Hash" : "Array"}`,
    );
  }
  const suite = data.get("suite_name");
  const testCase: JunitCase = {
    suite: suite === null || suite === undefined ? (options.suiteName ?? null) : textOf(suite),
    name: textOf(data.get("name")),
    classname: textOf(data.get("classname")),
    file: textOf(data.get("file")),
    status,
    time: typeof time === "string" ? rubyToF(time) : 0,
  };
  const message = messageOf(detail);
  if (message !== undefined) testCase.message = message;
  if (status === "failed" || status === "error") {
    const parts = [detail, systemOut, systemErr].filter(
      (p): p is XmlValue => p !== null && p !== undefined,
    );
    testCase.system_output = joinRuby(parts, "\n\n");
    const out = data.get("system_out");
    const match = typeof out === "string" ? ATTACHMENT.exec(out) : null;
    if (match) testCase.attachment = match[1]!;
  } else if (status === "skipped" && detail !== null && detail !== undefined) {
    testCase.system_output = rubyString(detail);
  }
  return testCase;
}

function emptyCounts(): JunitCounts {
  return { total: 0, success: 0, failed: 0, error: 0, skipped: 0, time: 0 };
}

/**
 * Counts a JUnit report. `xml` is one document, or the report's blobs (the runner's gzip
 * format holds one member per matched file; `gunzipMembers` splits them), which GitLab reads
 * into one test suite.
 */
export function parseJunit(xml: string | string[], options: JunitOptions = {}): JunitSummary {
  const documents = Array.isArray(xml) ? xml : [xml];
  const order: JunitCase[] = [];
  const index = new Map<string, number>();
  const suiteTime = new Map<string | null, number>();
  let time = 0;
  let parsed = 0;
  let suiteError: string | undefined;
  const max = options.maxTestCases ?? 0;

  for (const document of documents) {
    try {
      if (Buffer.byteLength(document, "utf8") > JUNIT_MAX_XML_BYTES) {
        throw new DataError("The XML file must be less than 30 MB.");
      }
      const root = xmlToHash(document);
      allCases(root, undefined, (data) => {
        const testCase = createCase(data, options);
        const key = `${testCase.status}\0${testCase.suite ?? ""}_${testCase.classname ?? ""}_${testCase.name ?? ""}`;
        const at = index.get(key);
        if (at === undefined) {
          index.set(key, order.length);
          order.push(testCase);
        } else {
          order[at] = testCase;
        }
        time += testCase.time;
        suiteTime.set(testCase.suite, (suiteTime.get(testCase.suite) ?? 0) + testCase.time);
        parsed++;
        if (max > 0 && parsed > max) {
          throw new DataError(`number of test cases exceeded the limit of ${max}`);
        }
      });
    } catch (err) {
      suiteError =
        err instanceof XmlSyntaxError
          ? `JUnit XML parsing failed: ${err.message}`
          : `JUnit data parsing failed: ${(err as Error).message}`;
    }
  }

  if (suiteError !== undefined) {
    return { ...emptyCounts(), time, suites: [], cases: [], suite_error: suiteError };
  }
  const summary: JunitSummary = { ...emptyCounts(), time, suites: [], cases: order };
  const suites = new Map<string | null, JunitSuite>();
  for (const c of order) {
    let suite = suites.get(c.suite);
    if (!suite) {
      suite = { name: c.suite, ...emptyCounts(), time: suiteTime.get(c.suite) ?? 0 };
      suites.set(c.suite, suite);
    }
    suite[c.status]++;
    suite.total++;
    summary[c.status]++;
    summary.total++;
  }
  summary.suites = [...suites.values()];
  return summary;
}
