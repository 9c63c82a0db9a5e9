/**
 * A YAML loader standing in for `yaml/` in unit tests: the `yaml` package's values with every
 * mapping, sequence, key and item registered in the source map, in the `LoadedYaml` shape
 * (a second document is the header). None of Psych's typing, limits or `!reference` tags.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, type Node, parseAllDocuments } from "yaml";
import type { Diagnostic } from "../diagnostics.js";
import type { LoadedYamlLike } from "../include/types.js";
import { recordEntry, recordOrigin } from "../source-map.js";

export function fakeLoad(text: string, file: string): LoadedYamlLike {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines });
  const diagnostics: Diagnostic[] = [];
  const list = Array.isArray(docs) ? docs : [];
  const at = (offset: number) => {
    const { line, col } = lines.linePos(offset);
    return { file, line, column: col };
  };
  const build = (node: unknown, doc: (typeof list)[number]): unknown => {
    if (node === null || node === undefined) return null;
    if (isAlias(node)) return build(node.resolve(doc), doc);
    if (isMap(node)) {
      const out: Record<string, unknown> = {};
      recordOrigin(out, at(node.range?.[0] ?? 0));
      for (const pair of node.items) {
        const key = String(build(pair.key, doc));
        out[key] = build(pair.value, doc);
        const keyNode = pair.key as Node | null;
        recordEntry(out, key, at(keyNode?.range?.[0] ?? 0));
      }
      return out;
    }
    if (isSeq(node)) {
      const out: unknown[] = [];
      recordOrigin(out, at(node.range?.[0] ?? 0));
      node.items.forEach((item, index) => {
        out.push(build(item, doc));
        recordEntry(out, index, at((item as Node | null)?.range?.[0] ?? 0));
      });
      return out;
    }
    if (isScalar(node)) return node.value;
    return null;
  };
  for (const doc of list) {
    for (const error of doc.errors) {
      const pos = at(error.pos[0]);
      diagnostics.push({ severity: "error", message: error.message, ...pos, path: "" });
    }
  }
  if (list.length >= 2) {
    const [header, body] = list as [(typeof list)[number], (typeof list)[number]];
    return {
      header: build(header.contents, header),
      value: build(body.contents, body),
      diagnostics,
    };
  }
  const only = list[0];
  return { value: only ? build(only.contents, only) : null, diagnostics };
}
