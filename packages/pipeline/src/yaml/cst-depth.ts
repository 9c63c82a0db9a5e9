/**
 * Nesting depth of a parsed (CST) document, measured without recursion. The `yaml` library
 * composes nodes recursively, so a document nested thousands of levels deep is refused before
 * composing (GitLab refuses anything deeper than `max_yaml_depth` anyway).
 */
import { CST } from "yaml";

/** True when some collection in `document` is nested deeper than `limit` levels. */
export function nestedDeeperThan(document: CST.Document, limit: number): boolean {
  const stack: Array<[CST.Token | null | undefined, number]> = [[document.value, 0]];
  while (stack.length > 0) {
    const [token, depth] = stack.pop() ?? [undefined, 0];
    if (!CST.isCollection(token)) continue;
    if (depth + 1 > limit) return true;
    for (const item of token.items) {
      stack.push([item.key, depth + 1], [item.value, depth + 1]);
    }
  }
  return false;
}
