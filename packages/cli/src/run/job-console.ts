/**
 * Live output of `conveyor run`: each job's log lines prefixed with the job's name (coloured per
 * job on a terminal), GitLab's collapsible-section markers turned into plain headers, and on a
 * terminal a progress line kept at the bottom while jobs run.
 */

export interface ConsoleStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

const COLOURS = [36, 35, 33, 32, 34, 91, 96, 95, 93, 92, 94];
// section_start:<unix time>:<name>[<options>]\r\e[0K and section_end:…: GitLab's trace markers.
// eslint-disable-next-line no-control-regex
const SECTION_MARKER = /section_(?:start|end):\d+:[^\r\n]*\r\x1b\[0K/g;
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;

export class JobConsole {
  readonly #out: ConsoleStream;
  readonly #colour: boolean;
  readonly #partial = new Map<string, string>();
  readonly #colours = new Map<string, number>();
  readonly #prefixes = new Map<string, string>();
  #width = 0;
  #progress = "";

  constructor(out: ConsoleStream, options: { colour?: boolean } = {}) {
    this.#out = out;
    this.#colour = options.colour ?? out.isTTY === true;
  }

  /** Sets the names shown as prefixes, so that they line up. */
  setJobNames(names: readonly string[]): void {
    this.#width = Math.min(32, Math.max(0, ...names.map((name) => name.length)));
    names.forEach((name, i) => this.#colours.set(name, COLOURS[i % COLOURS.length] ?? 36));
    this.#prefixes.clear();
  }

  /** A chunk of a job's log; complete lines are printed, a partial line waits for its end. */
  output(job: string, text: string): void {
    const buffered = (this.#partial.get(job) ?? "") + text;
    const lines = buffered.split("\n");
    this.#partial.set(job, lines.pop() ?? "");
    if (lines.length > 0) this.#print(lines.map((line) => this.#line(job, line)).join(""));
  }

  /** Prints what is left of a job's last line. */
  flush(job: string): void {
    const rest = this.#partial.get(job);
    this.#partial.delete(job);
    if (rest) this.#print(this.#line(job, rest));
  }

  /** A line of Conveyor's own (not from a job). */
  note(text: string): void {
    this.#print(`${text}\n`);
  }

  /** The progress line (terminal only); an empty string removes it. */
  progress(text: string): void {
    if (!this.#out.isTTY) return;
    this.#progress = text;
    this.#out.write(`\r\x1b[2K${text}`);
  }

  #print(text: string): void {
    if (this.#out.isTTY && this.#progress) {
      this.#out.write(`\r\x1b[2K${text}${this.#progress}`);
    } else {
      this.#out.write(text);
    }
  }

  #line(job: string, raw: string): string {
    // The regular expressions run only on lines that can match them (most lines cannot).
    let line = raw.includes("section_") ? raw.replace(SECTION_MARKER, "") : raw;
    // A carriage return rewrites the line on a terminal: keep what would be visible.
    const cr = line.lastIndexOf("\r", line.length - 2);
    if (cr >= 0) line = line.slice(cr + 1);
    if (line.endsWith("\r")) line = line.slice(0, -1);
    if (!this.#colour && line.includes("\x1b")) line = line.replace(ANSI, "");
    return `${this.#prefix(job)}${line}${this.#colour ? "\x1b[0m" : ""}\n`;
  }

  /** `name | `, padded (and coloured on a terminal); made once per job. */
  #prefix(job: string): string {
    let prefix = this.#prefixes.get(job);
    if (prefix === undefined) {
      const name = job.padEnd(this.#width);
      prefix = `${this.#colour ? `\x1b[${this.#colours.get(job) ?? 36}m${name}\x1b[0m` : name} | `;
      this.#prefixes.set(job, prefix);
    }
    return prefix;
  }
}
