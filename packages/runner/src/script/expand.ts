/**
 * How the runner expands `$VAR` references inside job variable values: Go's `os.Expand`
 * resolved against the job's own variables, one pass, unknown names becoming empty.
 * gitlab-runner `common/spec/variables.go` (`ExpandValue` = `os.Expand(value, b.Get)`;
 * `Expand` skips `raw` variables; `$$` resolves to `$`, positional and special names to "").
 * Pure.
 */

/** Names `os.Expand` reads as one-character shell specials (`$*`, `$1`, `$$`, …). */
const SPECIAL = new Set([
  "*",
  "#",
  "$",
  "@",
  "!",
  "?",
  "-",
  "0",
  "1",
  "2",
  "3",
  "4",
  "5",
  "6",
  "7",
  "8",
  "9",
]);

function isNameChar(code: number): boolean {
  return (
    code === 95 || // _
    (code >= 48 && code <= 57) ||
    (code >= 65 && code <= 90) ||
    (code >= 97 && code <= 122)
  );
}

/** Go's `getShellName`: the name after a `$` and how many characters it spans. */
function shellName(text: string, start: number): { name: string; width: number } {
  const first = text[start]!;
  if (first === "{") {
    if (text.length - start > 2 && SPECIAL.has(text[start + 1]!) && text[start + 2] === "}") {
      return { name: text[start + 1]!, width: 3 };
    }
    const close = text.indexOf("}", start + 1);
    if (close === -1) return { name: "", width: 1 }; // bad syntax: "${" is eaten
    if (close === start + 1) return { name: "", width: 2 }; // bad syntax: "${}" is eaten
    return { name: text.slice(start + 1, close), width: close - start + 1 };
  }
  if (SPECIAL.has(first)) return { name: first, width: 1 };
  let end = start;
  while (end < text.length && isNameChar(text.charCodeAt(end))) end++;
  return { name: text.slice(start, end), width: end - start };
}

/** `os.Expand(text, lookup)`. */
export function expandValue(text: string, lookup: (name: string) => string): string {
  if (!text.includes("$")) return text;
  let out = "";
  let copied = 0;
  for (let j = 0; j < text.length; j++) {
    if (text[j] !== "$" || j + 1 >= text.length) continue;
    out += text.slice(copied, j);
    const { name, width } = shellName(text, j + 1);
    if (name === "" && width > 0) {
      // invalid syntax: the characters are dropped
    } else if (name === "") {
      out += "$"; // "$" not followed by a name stays
    } else {
      out += lookup(name);
    }
    j += width;
    copied = j + 1;
  }
  return out + text.slice(copied);
}

/**
 * The runner's `Variables.value` lookup for `os.Expand`: `$` is `$`, positional and special
 * parameters are empty, otherwise the last variable with that key (or "").
 */
export function runnerLookup(find: (name: string) => string | undefined): (name: string) => string {
  return (name) => {
    if (name === "$") return "$";
    if (name.length === 1 && SPECIAL.has(name) && name !== "-") return "";
    return find(name) ?? "";
  };
}
