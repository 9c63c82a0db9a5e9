/**
 * The runner's expansion of `$NAME` / `${NAME}` in cache keys, fallback keys and the cache
 * policy (common.JobVariables.ExpandValue, i.e. Go's os.Expand over the job's variables; an
 * unknown name expands to nothing). Docs: https://docs.gitlab.com/ci/variables/where_variables_can_be_used/
 * (`cache:key` is expanded by GitLab Runner).
 */
import type { JobVariable } from "@conveyor/protocol";

const SPECIAL = "*#$@!?-0123456789";

function isNameChar(c: string): boolean {
  return /[A-Za-z0-9_]/.test(c);
}

/** A lookup over the job's variables; the last definition of a key wins. */
export function variableLookup(variables: JobVariable[]): (name: string) => string | undefined {
  const map = new Map<string, string>();
  for (const v of variables) map.set(v.key, v.value);
  return (name) => map.get(name);
}

/** Go's os.Expand with `lookup`. */
export function expandValue(value: string, lookup: (name: string) => string | undefined): string {
  let out = "";
  let i = 0;
  for (let j = 0; j < value.length; j++) {
    if (value[j] !== "$" || j + 1 >= value.length) continue;
    out += value.slice(i, j);
    const { name, width } = shellName(value.slice(j + 1));
    if (name === "" && width > 0) {
      // invalid syntax: the characters are dropped
    } else if (name === "") {
      out += "$";
    } else {
      out += lookup(name) ?? "";
    }
    j += width;
    i = j + 1;
  }
  return out + value.slice(i);
}

function shellName(s: string): { name: string; width: number } {
  if (s[0] === "{") {
    if (s.length > 2 && SPECIAL.includes(s[1]!) && s[2] === "}") return { name: s[1]!, width: 3 };
    for (let i = 1; i < s.length; i++) {
      if (s[i] === "}")
        return i === 1 ? { name: "", width: 2 } : { name: s.slice(1, i), width: i + 1 };
    }
    return { name: "", width: 1 };
  }
  if (SPECIAL.includes(s[0]!)) return { name: s[0]!, width: 1 };
  let i = 0;
  while (i < s.length && isNameChar(s[i]!)) i++;
  return { name: s.slice(0, i), width: i };
}
