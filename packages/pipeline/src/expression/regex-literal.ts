/**
 * Where a `/pattern/flags` literal that starts at `start` (a "/") ends, by the rule of GitLab's
 * lexer (`Gitlab::Ci::Pipeline::Expression::Lexeme::Pattern`), or `undefined` when the text there
 * is not a literal. The rule, restated:
 *
 * - the body between the slashes is at least two characters long: GitLab's docs say that
 *   single-character patterns such as `/./` are an `invalid expression syntax` error
 *   (https://docs.gitlab.com/ci/jobs/job_rules/#compare-a-variable-to-a-regular-expression);
 * - the body is made of characters other than "/" and of escaped slashes `\/`;
 * - its last character is not a backslash, but may itself be a "/" when two slashes follow
 *   (`/ab//` is the pattern `ab/`);
 * - the flags that follow are any run of `i`, `s`, `m` and `U`.
 *
 * GitLab matches this with a backtracking regex; this walk returns the same end as that regex's
 * first match (the tests compare the two on random input).
 */
export function scanRegexLiteral(text: string, start: number): number | undefined {
  let pos = start + 1;
  for (;;) {
    const char = text[pos];
    if (char === undefined || char === "/") break;
    if (char === "\\" && text[pos + 1] === "/") {
      // The backtracking match first tries the backslash alone as the body's last character,
      // which closes the literal when a further slash follows: `/a\//` is the pattern `a/`.
      if (text[pos + 2] === "/") return skipFlags(text, pos + 3);
      pos += 2;
      continue;
    }
    pos += 1;
  }
  if (text[pos] !== "/") return undefined;
  // The slash at `pos` can be the body's last character when another slash follows it...
  if (text[pos + 1] === "/" && pos > start + 1) return skipFlags(text, pos + 2);
  // ...otherwise it closes the literal, when the body before it has two characters or more.
  if (pos > start + 2) return skipFlags(text, pos + 1);
  return undefined;
}

function skipFlags(text: string, pos: number): number {
  let end = pos;
  while (end < text.length && "ismU".includes(text[end]!)) end += 1;
  return end;
}
