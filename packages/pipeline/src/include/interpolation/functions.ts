/**
 * Interpolation functions: `$[[ inputs.name | expand_vars | truncate(0,8) | posix_escape ]]`.
 * The list, their arguments and their error wording are GitLab's
 * (docs.gitlab.com/ci/inputs/#predefined-interpolation-functions; Gitlab::Ci::Config::Interpolation::Functions).
 */

export interface FunctionContext {
  /** Expands the variables usable with `include` (`expand_vars`); absent: values stay as written. */
  expand?: (value: string) => string;
}

export type FunctionResult = { ok: true; value: unknown } | { ok: false; error: string };

interface InterpolationFunction {
  name: string;
  /** Returns the arguments when `expression` calls this function. */
  parse(expression: string): string[] | undefined;
  run(input: unknown, args: string[], ctx: FunctionContext): FunctionResult;
}

/** GitLab allows at most three functions in one block. */
export const MAX_FUNCTIONS = 3;

function fail(name: string, message: string): FunctionResult {
  return { ok: false, error: `error in \`${name}\` function: ${message}` };
}

function notString(name: string): FunctionResult {
  return fail(name, `invalid input type: ${name} can only be used with string inputs`);
}

function bare(name: string): (expression: string) => string[] | undefined {
  return (expression) => (expression === name ? [] : undefined);
}

/** Ruby's `Shellwords.shellescape`. */
export function posixEscape(value: string): string {
  if (value === "") return "''";
  return value.replace(/[^A-Za-z0-9_\-.,:+/@\n]/gu, "\\$&").replace(/\n/g, "'\n'");
}

const FUNCTIONS: InterpolationFunction[] = [
  {
    name: "truncate",
    // GitLab's pattern leaves the closing parenthesis optional.
    parse: (expression) => {
      const match = /^truncate\(\s*(\d+)\s*,\s*(\d+)\s*\)?$/.exec(expression);
      return match ? [match[1] as string, match[2] as string] : undefined;
    },
    run(input, [offset, length]) {
      if (typeof input !== "string") return notString("truncate");
      const start = Number(offset);
      return {
        ok: true,
        value: Array.from(input)
          .slice(start, start + Number(length))
          .join(""),
      };
    },
  },
  {
    name: "expand_vars",
    parse: bare("expand_vars"),
    run(input, _args, ctx) {
      if (typeof input !== "string") return notString("expand_vars");
      try {
        return { ok: true, value: ctx.expand ? ctx.expand(input) : input };
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        return fail("expand_vars", `variable expansion error: ${reason}`);
      }
    },
  },
  {
    name: "posix_escape",
    parse: bare("posix_escape"),
    run(input) {
      if (typeof input !== "string") return notString("posix_escape");
      return { ok: true, value: posixEscape(input) };
    },
  },
  {
    name: "split",
    parse: (expression) => {
      const match = /^split\('([^']*)'\)$/.exec(expression);
      return match ? [match[1] as string] : undefined;
    },
    run(input, [separator]) {
      if (typeof input !== "string") return notString("split");
      if (!separator) return fail("split", "invalid argument: separator cannot be empty");
      // Ruby's `split(" ")` splits on runs of whitespace.
      const parts = separator === " " ? input.split(/\s+/) : input.split(separator);
      return { ok: true, value: parts.map((part) => part.trim()).filter((part) => part !== "") };
    },
  },
];

/** Applies `expressions` in order to `input`; the first error stops the chain. */
export function applyFunctions(
  input: unknown,
  expressions: readonly string[],
  ctx: FunctionContext,
): FunctionResult {
  const calls: Array<{ fn: InterpolationFunction; args: string[] }> = [];
  const unknown: string[] = [];
  for (const expression of expressions) {
    const fn = FUNCTIONS.find((candidate) => candidate.parse(expression) !== undefined);
    if (fn) {
      calls.push({ fn, args: fn.parse(expression) ?? [] });
    } else {
      unknown.push(
        `no function matching \`${expression}\`: check that the function name, arguments, and types are correct`,
      );
    }
  }
  if (unknown.length > 0) return { ok: false, error: unknown.join(", ") };
  let value = input;
  for (const { fn, args } of calls) {
    const result = fn.run(value, args, ctx);
    if (!result.ok) return result;
    value = result.value;
  }
  return { ok: true, value };
}
