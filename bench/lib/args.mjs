/**
 * A small command-line flag reader for the benchmarks. A spec maps each flag (without the
 * dashes) to { type: "count", min } (an integer value), { type: "flag" } (no value), or
 * { type: "choice", choices, repeat } (one of a list, collected into an array when `repeat`).
 * Only the flags given are returned, under camelCase names; each benchmark fills in its defaults.
 */

const camel = (name) => name.replace(/-([a-z])/g, (_, c) => c.toUpperCase());

export function parseFlags(argv, spec) {
  const given = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const name = arg.startsWith("--") ? arg.slice(2) : undefined;
    const flag = name === undefined ? undefined : spec[name];
    if (!flag) throw new Error(`unknown argument ${arg} (try --help)`);
    const key = camel(name);
    if (flag.type === "flag") {
      given[key] = true;
      continue;
    }
    const raw = argv[++i];
    if (flag.type === "count") {
      const n = Number(raw);
      if (raw === undefined || !Number.isInteger(n) || n < flag.min) {
        throw new Error(`${arg} needs an integer >= ${flag.min} (got ${raw ?? "nothing"})`);
      }
      given[key] = n;
    } else if (flag.type === "choice") {
      if (!flag.choices.includes(raw)) {
        throw new Error(`${arg} needs one of ${flag.choices.join(", ")} (got ${raw ?? "nothing"})`);
      }
      given[key] = flag.repeat ? [...(given[key] ?? []), raw] : raw;
    } else {
      throw new Error(`flag --${name} has an unknown type ${flag.type}`);
    }
  }
  return given;
}
