/** What a command may touch: the working directory, its output streams and the environment. */
export interface Io {
  cwd: string;
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown; isTTY?: boolean };
  env: Record<string, string | undefined>;
}

/** Bad arguments: the command prints the message and exits 2. */
export class UsageError extends Error {}
