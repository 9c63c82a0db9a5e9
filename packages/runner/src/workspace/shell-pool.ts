/**
 * Long-lived `sh` processes that run scripts one at a time, each in a subshell of its own.
 *
 * Starting a process from Node blocks Node's thread while the kernel copies this (large)
 * process and the child execs: about 1.5 ms per process on the machines we measure, the
 * largest share of a job's own CPU. A shell of a few megabytes forks in a fraction of that. So
 * get_sources, which runs a script of git commands for every job, asks one of these shells
 * instead of starting `sh` anew.
 *
 * Each script is sent as one line: `( cd DIR && eval 'SCRIPT' ) </dev/null`, then a `printf`
 * of a random marker with the subshell's exit status. The shell reads the next line only when
 * the previous one is done, so its output up to the marker is that script's; the subshell keeps
 * `cd`, `exit`, variables and redirections (`exec 2>&1`) from the next script, and a script
 * that does not parse fails alone. The shell runs in a process group of its own: an abort kills
 * the group (the script and the processes it started) and that shell is not used again.
 *
 * Idle shells do not keep this process alive; when it ends, their standard input closes and
 * they exit.
 */
import { type ChildProcessByStdio, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import type { Socket } from "node:net";
import { resolve as resolvePath } from "node:path";
import type { Readable, Writable } from "node:stream";
import { shellQuote } from "../script/shell-quote.js";

export interface PooledRunOptions {
  /** The folder the script starts in (a relative one from this process's folder). */
  cwd: string;
  signal: AbortSignal;
  /** The script's output (stdout and stderr as the script directs them). */
  output: (chunk: Buffer) => void;
}

export interface PooledRun {
  /** The script's exit status; null when it was aborted or its shell died. */
  exitCode: number | null;
}

const NUL = 0;

/** One shell and the script it is running, if any. */
class PooledShell {
  readonly child: ChildProcessByStdio<Writable, Readable, null>;
  private readonly marker: Buffer;
  private pending = Buffer.alloc(0);
  private current:
    | {
        output: (chunk: Buffer) => void;
        done: (code: number | null) => void;
        fail: (error: Error) => void;
      }
    | undefined;
  alive = true;

  constructor(env: NodeJS.ProcessEnv) {
    this.marker = Buffer.from(`\0conveyor-${randomBytes(12).toString("hex")}:`);
    // Its first command sends its standard error where its output goes.
    this.child = spawn("sh", ["-s"], {
      cwd: "/",
      env,
      stdio: ["pipe", "pipe", "ignore"],
      detached: true,
    });
    this.child.stdin.write("exec 2>&1\n");
    this.child.stdout.on("data", (chunk: Buffer) => this.receive(chunk));
    // A shell that ends: its script (if any) has no status. One that cannot start: the script
    // fails with the reason, as a spawn of its own would.
    const lost = () => {
      this.alive = false;
      this.finish(null);
    };
    this.child.on("error", (error) => {
      this.alive = false;
      const current = this.current;
      this.current = undefined;
      current?.fail(error);
    });
    this.child.on("close", lost);
    this.child.stdin.on("error", lost);
  }

  run(script: string, options: PooledRunOptions): Promise<number | null> {
    return new Promise((resolve, reject) => {
      this.current = { output: options.output, done: resolve, fail: reject };
      this.hold(true);
      const line =
        `( cd ${shellQuote(resolvePath(options.cwd))} && eval ${shellQuote(script)} ) </dev/null; ` +
        `printf '\\000%s%s\\000' ${shellQuote(this.marker.subarray(1).toString())} "$?"\n`;
      this.child.stdin.write(line);
    });
  }

  /** Stops the running script and everything it started; the shell is not used again. */
  kill(): void {
    this.alive = false;
    if (this.child.pid !== undefined) {
      try {
        process.kill(-this.child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    this.finish(null);
  }

  /** Whether this shell keeps the process alive (only while it runs a script). */
  hold(busy: boolean): void {
    // A closed pipe has nothing to hold (and would wait for a `connect` to come).
    const pipes = [this.child.stdin, this.child.stdout] as unknown as Socket[];
    const open = pipes.filter((pipe) => !pipe.destroyed);
    if (busy) {
      this.child.ref();
      for (const pipe of open) pipe.ref();
    } else {
      this.child.unref();
      for (const pipe of open) pipe.unref();
    }
  }

  private finish(code: number | null): void {
    const current = this.current;
    this.current = undefined;
    this.pending = Buffer.alloc(0);
    if (current) {
      this.hold(false);
      current.done(code);
    }
  }

  /** Passes output on up to the marker, then ends the script with the status after it. */
  private receive(chunk: Buffer): void {
    const current = this.current;
    if (!current) return;
    const data = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = Buffer.alloc(0);
    const at = data.indexOf(this.marker);
    if (at >= 0) {
      const end = data.indexOf(NUL, at + this.marker.length);
      if (end < 0) {
        if (at > 0) current.output(data.subarray(0, at));
        this.pending = Buffer.from(data.subarray(at));
        return;
      }
      if (at > 0) current.output(data.subarray(0, at));
      const status = Number(data.subarray(at + this.marker.length, end).toString());
      this.finish(Number.isInteger(status) ? status : null);
      return;
    }
    // The end of the data may be the start of the marker: keep it until more comes.
    const kept = partialMarkerAt(data, this.marker);
    if (kept > 0) current.output(data.subarray(0, kept));
    if (kept < data.length) this.pending = Buffer.from(data.subarray(kept));
  }
}

/** Where a prefix of `marker` that reaches the end of `data` starts (data.length if none). */
export function partialMarkerAt(data: Buffer, marker: Buffer): number {
  for (let from = Math.max(0, data.length - marker.length + 1); from < data.length; from++) {
    if (data[from] !== NUL) continue;
    if (data.subarray(from).equals(marker.subarray(0, data.length - from))) return from;
  }
  return data.length;
}

/** Shells for one environment; as many as scripts run at once. */
export class ShellPool {
  private readonly idle: PooledShell[] = [];
  /** How many shells this pool started (for tests). */
  started = 0;

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  async run(script: string, options: PooledRunOptions): Promise<PooledRun> {
    if (options.signal.aborted) return { exitCode: null };
    let shell = this.idle.pop();
    while (shell && !shell.alive) shell = this.idle.pop();
    if (!shell) {
      shell = new PooledShell(this.env);
      this.started += 1;
    }
    const used = shell;
    const abort = () => used.kill();
    options.signal.addEventListener("abort", abort, { once: true });
    try {
      const exitCode = await used.run(script, options);
      return { exitCode };
    } finally {
      options.signal.removeEventListener("abort", abort);
      if (used.alive) this.idle.push(used);
    }
  }

  /** Ends the idle shells (they would end with this process anyway). */
  close(): void {
    for (const shell of this.idle.splice(0)) shell.child.stdin.end();
  }
}
