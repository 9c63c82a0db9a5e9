/**
 * `spec:inputs:rules:if` conditions: `$[[ inputs.a ]] == 'x' && ($[[ inputs.b ]] != 'y' || ...)`,
 * comparing input values with quoted strings, `true`/`false`, `null` and numbers
 * (docs.gitlab.com/ci/inputs/#define-conditional-input-options-with-specinputsrules).
 * A small evaluator of its own: CI/CD variables play no part in these expressions.
 */

type Token =
  | { kind: "input"; name: string }
  | { kind: "literal"; value: unknown }
  | { kind: "op"; op: "==" | "!=" | "&&" | "||" | "(" | ")" };

const INPUT_REF = /^\$\[\[\s*inputs\.([^\s\]|]+)\s*\]\]/;
const NUMBER = /^-?\d+(\.\d+)?/;
const WORD = /^(true|false|null)\b/;

export class ConditionError extends Error {}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let rest = text;
  while (rest.length > 0) {
    const trimmed = rest.trimStart();
    if (trimmed.length === 0) break;
    rest = trimmed;
    const two = rest.slice(0, 2);
    if (two === "==" || two === "!=" || two === "&&" || two === "||") {
      tokens.push({ kind: "op", op: two });
      rest = rest.slice(2);
      continue;
    }
    if (rest[0] === "(" || rest[0] === ")") {
      tokens.push({ kind: "op", op: rest[0] });
      rest = rest.slice(1);
      continue;
    }
    const input = INPUT_REF.exec(rest);
    if (input) {
      tokens.push({ kind: "input", name: input[1] as string });
      rest = rest.slice(input[0].length);
      continue;
    }
    const quote = rest[0];
    if (quote === "'" || quote === '"') {
      const end = rest.indexOf(quote, 1);
      if (end < 0) throw new ConditionError(`unterminated string in \`${text}\``);
      tokens.push({ kind: "literal", value: rest.slice(1, end) });
      rest = rest.slice(end + 1);
      continue;
    }
    const word = WORD.exec(rest);
    if (word) {
      const value = word[1] === "null" ? null : word[1] === "true";
      tokens.push({ kind: "literal", value });
      rest = rest.slice(word[0].length);
      continue;
    }
    const number = NUMBER.exec(rest);
    if (number) {
      tokens.push({ kind: "literal", value: Number(number[0]) });
      rest = rest.slice(number[0].length);
      continue;
    }
    throw new ConditionError(`invalid expression syntax: \`${text}\``);
  }
  return tokens;
}

/** Names of the inputs a condition reads. */
export function referencedInputs(text: string): string[] {
  try {
    const names = tokenize(text).flatMap((token) => (token.kind === "input" ? [token.name] : []));
    return [...new Set(names)];
  } catch {
    return [];
  }
}

class Parser {
  private index = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly inputs: Record<string, unknown>,
    private readonly text: string,
  ) {}

  parse(): unknown {
    const value = this.or();
    if (this.index < this.tokens.length) this.fail();
    return value;
  }

  private fail(): never {
    throw new ConditionError(`invalid expression syntax: \`${this.text}\``);
  }

  private peekOp(op: string): boolean {
    const token = this.tokens[this.index];
    return token?.kind === "op" && token.op === op;
  }

  private or(): unknown {
    let left = this.and();
    while (this.peekOp("||")) {
      this.index++;
      const right = this.and();
      left = truthy(left) ? left : right;
    }
    return left;
  }

  private and(): unknown {
    let left = this.comparison();
    while (this.peekOp("&&")) {
      this.index++;
      const right = this.comparison();
      left = truthy(left) ? right : left;
    }
    return left;
  }

  private comparison(): unknown {
    const left = this.primary();
    if (this.peekOp("==") || this.peekOp("!=")) {
      const negate = this.peekOp("!=");
      this.index++;
      const equal = sameValue(left, this.primary());
      return negate ? !equal : equal;
    }
    return left;
  }

  private primary(): unknown {
    const token = this.tokens[this.index++];
    if (!token) return this.fail();
    if (token.kind === "literal") return token.value;
    if (token.kind === "input") return this.inputs[token.name] ?? null;
    if (token.op === "(") {
      const value = this.or();
      if (!this.peekOp(")")) this.fail();
      this.index++;
      return value;
    }
    return this.fail();
  }
}

function truthy(value: unknown): boolean {
  return value !== null && value !== undefined && value !== false;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) || Array.isArray(b)) return JSON.stringify(a) === JSON.stringify(b);
  return (a ?? null) === (b ?? null);
}

/** Evaluates a rule condition against input values; throws `ConditionError` on bad syntax. */
export function evaluateCondition(text: string, inputs: Record<string, unknown>): boolean {
  return truthy(new Parser(tokenize(text), inputs, text).parse());
}
