/**
 * What every container executor (Docker, Kubernetes) does the same way, whatever its API:
 * which image a job runs in, where a job image's shell is looked for, the log block for a
 * service that did not start, and when a resource a Conveyor process left behind is stale.
 */
import type { JobImage } from "@conveyor/protocol";
import { ExecutorError } from "./executor.js";

/** The job's image: `image:` of the payload, else the executor's default. */
export function resolveJobImage(
  image: JobImage | null | undefined,
  defaultImage: string | undefined,
  /** How the error names the image ("Docker image", "image"). */
  imageWord = "image",
): JobImage {
  if (image && image.name) return image;
  if (defaultImage) return { name: defaultImage };
  throw new ExecutorError(
    `no ${imageWord} specified to run the job in: the job has no image: and the executor no default image`,
  );
}

/**
 * Fails on `executor_opts.<executor>` keys the executor does not support, in the runner's words
 * (`Unsupported "image" options [...] for "docker executor"; supported options are [...]`).
 */
export function checkExecutorOptions(
  image: JobImage,
  what: "image" | "services",
  executor: "docker" | "kubernetes",
  supported: readonly string[],
): void {
  const options = image.executor_opts?.[executor];
  if (!options) return;
  const unknown = Object.keys(options).filter((key) => !supported.includes(key));
  if (unknown.length > 0) {
    throw new ExecutorError(
      `Unsupported "${what}" options [${unknown.join(" ")}] for "${executor} executor"; ` +
        `supported options are [${supported.join(" ")}]`,
    );
  }
}

/** Where a job image's shell is looked for, in order: bash first, then sh (gitlab-runner's list, `shells/bash.go`). */
export const SHELL_PATHS = [
  "/usr/local/bin/bash",
  "/usr/bin/bash",
  "/bin/bash",
  "/usr/local/bin/sh",
  "/usr/bin/sh",
  "/bin/sh",
  "/busybox/sh",
] as const;

/** The runner's block for a service that did not become ready, one log line per element. */
export function serviceWarningLines(container: string, error: string, logs: string): string[] {
  return [
    "",
    `*** WARNING: Service ${container} probably didn't start properly.`,
    "",
    "Health check error:",
    ...error.trim().split("\n"),
    "",
    "Service container logs:",
    ...(logs.trim() === "" ? [] : logs.trim().split("\n")),
    "",
    "*********",
    "",
  ];
}

/** The owner marks a Conveyor process puts on what it creates (as labels). */
export interface OwnerMarks {
  /** Made by Conveyor (the `managed` label is `true`). */
  managed: boolean;
  session: string | undefined;
  ownerHost: string | undefined;
  ownerPid: string | undefined;
  /** Creation time, milliseconds since the epoch. */
  createdMs: number;
}

export interface StaleContext {
  now: number;
  olderThanMs: number | undefined;
  /** Sessions alive in this process: their resources are never stale. */
  liveSessions: ReadonlySet<string>;
  /** This host, written as the executor writes `ownerHost`. */
  host: string;
  isAlive: (pid: number) => boolean;
}

/**
 * Whether a resource a Conveyor process made is left over (pure apart from `isAlive`). Kept:
 * resources of a live session of this process; of an owner process on this host still running;
 * younger than `olderThanMs`; made on another host (their owner cannot be checked) unless
 * `olderThanMs` is given and they are older.
 */
export function isLeftOver(marks: OwnerMarks, context: StaleContext): boolean {
  if (!marks.managed) return false;
  if (marks.session !== undefined && context.liveSessions.has(marks.session)) return false;
  const age = context.now - marks.createdMs;
  if (marks.ownerHost !== context.host) {
    return context.olderThanMs !== undefined && age >= context.olderThanMs;
  }
  const pid = Number(marks.ownerPid);
  if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && context.isAlive(pid)) return false;
  return age >= (context.olderThanMs ?? 0);
}

/** Whether a process of this host runs (signal 0; EPERM means it runs as another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
