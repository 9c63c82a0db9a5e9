/**
 * Reads YAML that a tool generated (`kubectl kustomize`, `helm template`) into documents,
 * without filling placeholders: the tool's output is final. `helm template` heads each document
 * with `# Source: <chart>/templates/<file>`; that path names the document in errors.
 */
import { LineCounter, parseAllDocuments } from "yaml";
import { RenderError } from "./errors.js";
import type { FilledDocument } from "./placeholders.js";

export function generatedDocuments(text: string, producer: string): FilledDocument[] {
  const lines = new LineCounter();
  const parsed = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false });
  const documents = Array.isArray(parsed) ? parsed : [];
  return documents.map((document, i) => {
    const error = document.errors[0];
    if (error) {
      throw new RenderError([
        {
          file: producer,
          line: error.linePos?.[0].line ?? lines.linePos(error.pos[0]).line,
          document: i + 1,
          message: `invalid YAML: ${error.message.split("\n")[0]}`,
        },
      ]);
    }
    const source = /^\s*Source:\s*(\S+)/m.exec(document.commentBefore ?? "")?.[1];
    return {
      file: source ? `${producer} ${source}` : producer,
      index: i + 1,
      line: lines.linePos(document.range[0]).line,
      value: document.toJS({ maxAliasCount: 1000 }) as unknown,
    };
  });
}
