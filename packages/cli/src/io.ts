import type { RepositoryFacts } from "./repository.js";

/** What a command may touch: the working directory, its output streams and the environment. */
export interface Io {
  cwd: string;
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown; isTTY?: boolean };
  env: Record<string, string | undefined>;
  /**
   * What git says of the repository in `cwd`, asked for as the command started, so that git
   * runs while the command's code loads (see main). Commands that read the repository take it
   * from here rather than asking again.
   */
  repository?: Promise<RepositoryFacts>;
  /**
   * The file of PEM certificates NODE_EXTRA_CA_CERTS names, when bin/conveyor kept it from
   * Node's start (launch/deferred-ca.ts): a connection the command opens itself trusts them.
   */
  extraCaCertsFile?: string;
}

const USAGE_ERROR = Symbol.for("conveyor.UsageError");

/**
 * Bad arguments: the command prints the message and exits 2. `main` and each command are
 * bundled apart (launch/launch.ts), each with its own copy of this class, so `instanceof` looks
 * for a mark that every copy puts on its errors rather than for one class.
 */
export class UsageError extends Error {
  readonly [USAGE_ERROR] = true;

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === "object" && value !== null && USAGE_ERROR in value;
  }
}

/** Whether the arguments ask for help (`--help` or `-h`): such a run starts nothing ahead. */
export function asksForHelp(args: readonly string[]): boolean {
  return args.includes("--help") || args.includes("-h");
}
