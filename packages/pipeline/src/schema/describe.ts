/** Turns collapsed schema errors into diagnostics: one per problem, in document order. */
import type { RawSchemaError } from "../../schema/ci-explainer.js";
import { type Diagnostic, errorAt } from "../diagnostics.js";
import { positionAtPath } from "../source-map.js";
import { gitlabPath, isJobKey, locate } from "./location.js";
import { type Finding, messageFor } from "./messages.js";
import {
  compareOrder,
  decodePointer,
  documentOrder,
  isPlainObject,
  type Segment,
  typedSegments,
  valueAt,
} from "./pointer.js";

interface Draft {
  finding: Finding;
  /** Where to point: the first unknown key, else the value the error is about. */
  at: Segment[];
  order: number[];
}

export function describeErrors(
  errors: readonly RawSchemaError[],
  root: unknown,
  file: string,
): Diagnostic[] {
  const drafts = new Map<string, Draft>();
  for (const raw of errors) {
    const error = unmatchedJob(raw, root) ?? raw;
    const path = decodePointer(error.instancePath);
    const location = locate(root, path);
    const key = groupKey(error, gitlabPath(location), location.insideItems);
    const names = namesOf(error);
    const existing = drafts.get(key);
    if (existing) {
      for (const name of names) {
        if (!existing.finding.names.includes(name)) existing.finding.names.push(name);
      }
      continue;
    }
    const segments = typedSegments(root, path);
    const at = error.keyword === "additionalProperties" ? [...segments, ...names] : segments;
    drafts.set(key, {
      finding: {
        location,
        keyword: error.keyword,
        names,
        params: error.params,
        value: valueAt(root, segments),
        topLevel: path.length === 1,
        schema: error.schema,
      },
      at,
      order: documentOrder(root, at),
    });
  }
  const ordered = [...drafts.values()].sort((a, b) => compareOrder(a.order, b.order));
  const seen = new Set<string>();
  const diagnostics: Diagnostic[] = [];
  for (const { finding, at } of ordered) {
    const message = messageFor(finding);
    const path = gitlabPath(finding.location);
    if (seen.has(`${path}\u0000${message}`)) continue;
    seen.add(`${path}\u0000${message}`);
    diagnostics.push(errorAt(message, path, positionAtPath(root, at), file));
  }
  if (diagnostics.length === 0) {
    diagnostics.push(errorAt("root config is invalid", "root", positionAtPath(root, []), file));
  }
  return diagnostics;
}

/**
 * GitLab validates a job's keys only once it is a job: a mapping with `script`, `run` or
 * `trigger` (`Jobs.find_type`). Any schema error inside a mapping without them becomes the
 * one error GitLab reports for it, as if the job itself had the wrong type.
 */
function unmatchedJob(error: RawSchemaError, root: unknown): RawSchemaError | undefined {
  const [name] = decodePointer(error.instancePath);
  if (name === undefined || !isJobKey(name) || !isPlainObject(root)) return undefined;
  const job = root[name];
  if (!isPlainObject(job) || ["script", "run", "trigger"].some((key) => Object.hasOwn(job, key))) {
    return undefined;
  }
  return {
    instancePath: `/${name.replace(/~/g, "~0").replace(/\//g, "~1")}`,
    schemaPath: "#/additionalProperties/type",
    keyword: "type",
    params: { type: "object" },
  };
}

/** Errors that describe one problem share a key: all unknown keys of one mapping, say. */
function groupKey(error: RawSchemaError, path: string, insideItems: boolean): string {
  switch (error.keyword) {
    case "additionalProperties":
    case "required":
    case "dependencies":
      return `${error.keyword}\u0000${error.instancePath}`;
    case "type":
      return `type\u0000${path}\u0000${insideItems ? "items" : error.instancePath}`;
    case "enum":
    case "const":
      return `enum\u0000${error.instancePath}`;
    default:
      return `${error.keyword}\u0000${error.instancePath}\u0000${JSON.stringify(error.params)}`;
  }
}

function namesOf(error: RawSchemaError): string[] {
  const { params } = error;
  switch (error.keyword) {
    case "additionalProperties":
      return [String(params.additionalProperty)];
    case "required":
    case "dependencies":
      return [String(params.missingProperty)];
    case "type":
      return Array.isArray(params.type) ? params.type.map(String) : [String(params.type)];
    case "enum":
      return Array.isArray(params.allowedValues) ? params.allowedValues.map(String) : [];
    case "const":
      return [String(params.allowedValue)];
    default:
      return [];
  }
}
