/**
 * A quick estimate of how large an RE2 program a pattern compiles to, made by scanning the
 * pattern text with the size rules RE2's parser applies to its own limit (literals and classes
 * count 1, `*` and captures add 2, `+` and `?` add 1, `x{n,m}` costs m copies of x, and an
 * alternation of single characters is one class). It lets
 * patterns that are far too large be refused before re2js spends seconds building them; the
 * exact size is checked after compiling. Syntax errors only make the estimate rough: compiling
 * reports them.
 */
export function estimateProgramSize(pattern: string): number {
  const frames: Frame[] = [newFrame(false)];
  let pos = 0;
  let afterQuantifier = false;
  while (pos < pattern.length) {
    const frame = frames.at(-1)!;
    const char = pattern[pos]!;
    if (afterQuantifier && char === "?") {
      pos += 1; // lazy modifier
      afterQuantifier = false;
      continue;
    }
    afterQuantifier = false;
    if (char === "\\" && pattern[pos + 1] === "Q") {
      const end = pattern.indexOf("\\E", pos + 2);
      const literal = end === -1 ? pattern.length - pos - 2 : end - pos - 2;
      for (let i = 0; i < literal; i += 1) addAtom(frame, 1, true);
      pos = end === -1 ? pattern.length : end + 2;
    } else if (char === "\\") {
      pos = skipEscape(pattern, pos);
      addAtom(frame, 1, true);
    } else if (char === "[") {
      pos = skipClass(pattern, pos);
      addAtom(frame, 1, true);
    } else if (char === "(") {
      pos = openGroup(pattern, pos, frames);
    } else if (char === ")") {
      pos += 1;
      if (frames.length > 1) {
        const closed = frames.pop()!;
        addAtom(frames.at(-1)!, finish(closed) + (closed.capture ? 2 : 0));
      }
    } else if (char === "|") {
      pos += 1;
      endAlternative(frame);
    } else if (char === "*" || char === "+" || char === "?") {
      pos += 1;
      repeatLast(frame, char === "*" ? 2 + frame.last : 1 + frame.last);
      afterQuantifier = true;
    } else {
      const counted = char === "{" ? readCount(pattern, pos) : undefined;
      if (counted === undefined) {
        pos += 1;
        addAtom(frame, 1, char !== "^" && char !== "$");
      } else {
        pos = counted.end;
        const { min, max } = counted;
        const sub = frame.last;
        if (max === undefined) repeatLast(frame, min === 0 ? 2 + sub : 1 + min * sub);
        else repeatLast(frame, max * sub + (max - min));
        afterQuantifier = true;
      }
    }
  }
  while (frames.length > 1) {
    const closed = frames.pop()!;
    addAtom(frames.at(-1)!, finish(closed));
  }
  return finish(frames[0]!);
}

interface Frame {
  readonly capture: boolean;
  /** Finished alternatives: their size, and whether each is a single character or class. */
  readonly alternatives: Array<{ size: number; single: boolean }>;
  current: number;
  /** Size of the last atom of `current`, which a quantifier applies to. */
  last: number;
  atoms: number;
  single: boolean;
}

function newFrame(capture: boolean): Frame {
  return { capture, alternatives: [], current: 0, last: 0, atoms: 0, single: false };
}

function addAtom(frame: Frame, size: number, single = false): void {
  frame.current += size;
  frame.last = size;
  frame.atoms += 1;
  frame.single = single && frame.atoms === 1;
}

function repeatLast(frame: Frame, size: number): void {
  frame.current += size - frame.last;
  frame.last = size;
  frame.single = false;
}

function endAlternative(frame: Frame): void {
  frame.alternatives.push({ size: frame.current, single: frame.single });
  frame.current = 0;
  frame.last = 0;
  frame.atoms = 0;
  frame.single = false;
}

function finish(frame: Frame): number {
  endAlternative(frame);
  const { alternatives } = frame;
  if (alternatives.length > 1 && alternatives.every((alternative) => alternative.single)) return 1;
  const total = alternatives.reduce((sum, alternative) => sum + alternative.size, 0);
  return Math.max(1, total + alternatives.length - 1);
}

/** Opens a group, or skips a flag group such as `(?i)`; returns the position after it. */
function openGroup(pattern: string, pos: number, frames: Frame[]): number {
  if (pattern[pos + 1] !== "?") {
    frames.push(newFrame(true));
    return pos + 1;
  }
  let end = pos + 2;
  const named = pattern[end] === "<" && pattern[end + 1] !== "=" && pattern[end + 1] !== "!";
  if (pattern[end] === "P" || named) {
    const close = pattern.indexOf(">", end);
    frames.push(newFrame(true));
    return close === -1 ? pattern.length : close + 1;
  }
  while (end < pattern.length && "imsU-".includes(pattern[end]!)) end += 1;
  if (pattern[end] === ")") return end + 1;
  frames.push(newFrame(false));
  return pattern[end] === ":" ? end + 1 : end;
}

function skipEscape(pattern: string, pos: number): number {
  const kind = pattern[pos + 1];
  if ((kind === "x" || kind === "p" || kind === "P") && pattern[pos + 2] === "{") {
    const close = pattern.indexOf("}", pos + 3);
    return close === -1 ? pattern.length : close + 1;
  }
  if (kind === "x") return Math.min(pattern.length, pos + 4);
  if (kind === "p" || kind === "P") return Math.min(pattern.length, pos + 3);
  return Math.min(pattern.length, pos + 2);
}

/** Skips a character class, including `[]a]`, `[^]a]`, `[[:alpha:]]` and escapes. */
function skipClass(pattern: string, pos: number): number {
  let end = pos + 1;
  if (pattern[end] === "^") end += 1;
  if (pattern[end] === "]") end += 1;
  while (end < pattern.length && pattern[end] !== "]") {
    if (pattern[end] === "\\") end += 2;
    else if (pattern.startsWith("[:", end)) {
      const close = pattern.indexOf(":]", end + 2);
      end = close === -1 ? end + 1 : close + 2;
    } else end += 1;
  }
  return Math.min(pattern.length, end + 1);
}

/** Reads `{n}`, `{n,}` or `{n,m}` at `pos`; anything else is a literal brace. */
function readCount(
  pattern: string,
  pos: number,
): { min: number; max: number | undefined; end: number } | undefined {
  const close = pattern.indexOf("}", pos);
  if (close === -1) return undefined;
  const body = pattern.slice(pos + 1, close);
  const comma = body.indexOf(",");
  const minText = comma === -1 ? body : body.slice(0, comma);
  const maxText = comma === -1 ? body : body.slice(comma + 1);
  if (!isDigits(minText) || (maxText !== "" && !isDigits(maxText))) return undefined;
  const min = Number(minText);
  const max = maxText === "" ? undefined : Number(maxText);
  return { min, max, end: close + 1 };
}

function isDigits(text: string): boolean {
  return text !== "" && [...text].every((char) => char >= "0" && char <= "9");
}
