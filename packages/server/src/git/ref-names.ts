/**
 * Whether a string is a possible branch or tag name, by the rules of git-check-ref-format(1)
 * (https://git-scm.com/docs/git-check-ref-format). A name that passes can be appended to
 * `refs/heads/` or `refs/tags/` and handed to git without being read as a revision expression
 * (`main~1`, `v1^{tree}`, `@{-1}`) or an option (`--all`).
 */
export function isRefShortName(name: string): boolean {
  if (name === "" || name === "@" || name.startsWith("-")) return false;
  // Rules 3, 4, 5, 8, 10: no "..", controls, space, ~ ^ : ? * [ \, no "@{".
  // eslint-disable-next-line no-control-regex
  if (/\.\.|[\x00-\x20\x7f~^:?*[\\]|@\{/.test(name)) return false;
  // Rule 6 and 7: no leading/trailing slash, no empty component, no trailing dot.
  if (name.startsWith("/") || name.endsWith("/") || name.includes("//") || name.endsWith(".")) {
    return false;
  }
  // Rule 1: no component starts with "." or ends with ".lock".
  return name.split("/").every((part) => !part.startsWith(".") && !part.endsWith(".lock"));
}
