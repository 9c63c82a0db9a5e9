/**
 * Shared pieces of a benchmark's report: progress lines on stderr, number formats, plain-text
 * tables, short headlines of long error messages, and the JSON file under bench/out/.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, join, relative } from "node:path";
import { OUT_DIR } from "./paths.mjs";

/** A progress line: stderr, so that stdout holds only the report. */
export const log = (line) => process.stderr.write(`${line}\n`);

/** Milliseconds with one decimal, "-" when there is no value. */
export const ms = (value) => (value === undefined ? "-" : value.toFixed(1));

/** Milliseconds shown as seconds with three decimals, "-" when there is no value. */
export const seconds = (value) => (value === undefined ? "-" : (value / 1000).toFixed(3));

/** A ratio such as "12.3x", "-" when there is no value. */
export const times = (value) =>
  value === undefined || !Number.isFinite(value) ? "-" : `${value.toFixed(value < 10 ? 2 : 1)}x`;

/** The machine, for the report's header and JSON. */
export function machine() {
  return {
    cpus: cpus().length,
    model: cpus()[0]?.model,
    platform: `${process.platform}-${process.arch}`,
  };
}

/** A table of strings: the first column left-aligned, the others right-aligned. */
export function table(head, body) {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i])))
      .join("  ")
      .trimEnd();
  return [line(head), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)].join("\n");
}

/** The line of an error message that says what went wrong (plus a hint line, if any). */
export function headline(message) {
  const lines = message.split("\n").map((line) => line.trim());
  const what =
    lines.find((line) =>
      /^(\w*Error\b|Error \[|error:|npm error (?!code|syscall|errno))/.test(line),
    ) ??
    lines.find((line) => line.length > 0 && !line.endsWith(":")) ??
    lines[0];
  const hint = lines.find((line) => line.startsWith("(") && line !== what);
  return [lines[0], what === lines[0] ? undefined : what, hint].filter(Boolean).join(" ");
}

/** Writes `report` as bench/out/NAME and says so on stderr. */
export function writeReport(name, report) {
  const file = join(OUT_DIR, name);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  log(`wrote ${relative(process.cwd(), file) || file}`);
}

const onTerminal = Boolean(process.stderr.isTTY);

/**
 * A progress line on stderr. On a terminal each line replaces the one before; elsewhere (a log
 * file, CI) only `lasting` lines are written, each on a line of its own.
 */
export function progress(text, { lasting = false } = {}) {
  if (onTerminal) process.stderr.write(`\r\x1b[2K${text}`);
  else if (lasting) process.stderr.write(`${text}\n`);
}

/** Ends a run of progress lines on a terminal, so that the next output starts on a new line. */
export function endProgress() {
  if (onTerminal) process.stderr.write("\n");
}
