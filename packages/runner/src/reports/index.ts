/** Reading the reports GitLab interprets: dotenv variables and JUnit test results. */
import { readFile, stat } from "node:fs/promises";
import { gunzipMembers } from "../artifacts/gzip.js";
import { parseDotenv, type DotenvOptions, type DotenvResult } from "./dotenv.js";
import { parseJunit, type JunitOptions, type JunitSummary } from "./junit.js";

export {
  DOTENV_MAX_BYTES,
  DOTENV_MAX_VARIABLES,
  parseDotenv,
  type DotenvOptions,
  type DotenvResult,
} from "./dotenv.js";
export {
  JUNIT_MAX_XML_BYTES,
  parseJunit,
  rubyToF,
  type JunitCase,
  type JunitCounts,
  type JunitOptions,
  type JunitStatus,
  type JunitSuite,
  type JunitSummary,
} from "./junit.js";
export { parseXml, xmlToHash, XmlSyntaxError, type XmlElement, type XmlValue } from "./xml.js";

/** The blobs of a stored report: gzip members split, a raw file as one blob. */
async function blobs(file: string): Promise<Buffer[]> {
  const data = await readFile(file);
  const gzipped = data.length >= 2 && data[0] === 0x1f && data[1] === 0x8b;
  return gzipped ? gunzipMembers(data).map((m) => m.data) : [data];
}

/** Reads a stored dotenv report (as uploaded: gzip), sizing it as GitLab does (stored bytes). */
export async function readDotenvReport(
  file: string,
  options: DotenvOptions = {},
): Promise<DotenvResult> {
  const { size } = await stat(file);
  return parseDotenv(await blobs(file), { size, ...options });
}

/** Reads a stored JUnit report (as uploaded: gzip, one member per file). */
export async function readJunitReport(
  file: string,
  options: JunitOptions = {},
): Promise<JunitSummary> {
  return parseJunit(
    (await blobs(file)).map((b) => b.toString("utf8")),
    options,
  );
}
