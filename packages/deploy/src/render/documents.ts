/**
 * Turns parsed YAML documents into Kubernetes objects: drops empty documents, expands
 * `kind: List` (what `kubectl get -o yaml` prints), and checks that each object can be applied
 * (string `apiVersion`, `kind` and `metadata.name`; server-side apply cannot use `generateName`,
 * https://kubernetes.io/docs/reference/using-api/server-side-apply/). Two objects with the same
 * group, kind, namespace and name are an error: one of them would silently win.
 */
import { refKey, refOf } from "../refs.js";
import type { KubeObject } from "../types.js";
import { RenderError, type RenderProblem } from "./errors.js";
import type { FilledDocument } from "./placeholders.js";

/** Where an object came from, for error messages. */
export interface ObjectOrigin {
  file: string;
  document: number;
  line?: number;
}

export interface LocatedObject {
  object: KubeObject;
  origin: ObjectOrigin;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function check(value: unknown, origin: ObjectOrigin, what: string): RenderProblem[] {
  const at = (message: string): RenderProblem => ({
    file: origin.file,
    document: origin.document,
    ...(origin.line !== undefined ? { line: origin.line } : {}),
    message: `${what}${message}`,
  });
  if (!isRecord(value)) return [at("is not a mapping (a Kubernetes object)")];
  const problems: RenderProblem[] = [];
  if (typeof value.apiVersion !== "string" || value.apiVersion === "") {
    problems.push(at("has no apiVersion"));
  }
  if (typeof value.kind !== "string" || value.kind === "") problems.push(at("has no kind"));
  const metadata = value.metadata;
  if (!isRecord(metadata)) {
    problems.push(at("has no metadata"));
  } else if (typeof metadata.name !== "string" || metadata.name === "") {
    problems.push(
      at(
        metadata.generateName !== undefined
          ? "uses metadata.generateName: server-side apply needs metadata.name"
          : "has no metadata.name (a non-empty string)",
      ),
    );
  } else if (metadata.namespace !== undefined && typeof metadata.namespace !== "string") {
    problems.push(at("has a metadata.namespace that is not a string"));
  }
  return problems;
}

/** The objects of filled documents, in document order; throws RenderError listing every problem. */
export function objectsOf(documents: readonly FilledDocument[]): LocatedObject[] {
  const problems: RenderProblem[] = [];
  const objects: LocatedObject[] = [];
  for (const document of documents) {
    if (document.value === null || document.value === undefined) continue;
    const origin: ObjectOrigin = {
      file: document.file,
      document: document.index,
      line: document.line,
    };
    const value = document.value;
    if (isRecord(value) && value.kind === "List" && Array.isArray(value.items)) {
      value.items.forEach((item, i) => {
        const found = check(item, origin, `item ${i + 1} of the List `);
        if (found.length > 0) problems.push(...found);
        else objects.push({ object: item as KubeObject, origin });
      });
      continue;
    }
    const found = check(value, origin, "the document ");
    if (found.length > 0) problems.push(...found);
    else objects.push({ object: value as KubeObject, origin });
  }
  const seen = new Map<string, ObjectOrigin>();
  for (const { object, origin } of objects) {
    const key = refKey(refOf(object));
    const first = seen.get(key);
    if (first) {
      problems.push({
        file: origin.file,
        document: origin.document,
        message: `${object.kind} ${object.metadata.name} is also defined in ${first.file}, document ${first.document}`,
      });
    } else {
      seen.set(key, origin);
    }
  }
  if (problems.length > 0) throw new RenderError(problems);
  return objects;
}
