/** The `conveyor` command: parses argv and hands over to one command. Composition only. */
import type { Io } from "./io.js";
import { UsageError } from "./io.js";
import { inspectRepository } from "./repository.js";
import { CONVEYOR_VERSION } from "./version.js";

const USAGE = `usage: conveyor <command> [options]

commands:
  lint [FILE]   check a .gitlab-ci.yml as GitLab would (exit 1 when invalid)
  plan [FILE]   show the pipeline GitLab would create for an event
  run [JOB...]  run the pipeline (or some of its jobs) on this machine
  server        host git repositories, run pipelines on push, serve runners
  runner        register a runner with a server and run its jobs
  deploy        push resource sets and deploy them to environments through a server

Run 'conveyor <command> --help' for the options of a command.
`;

// Each command's code is loaded on use: the engine, runner and executors are most of the bundle,
// and lint and plan should not pay for loading them; nor should any command wait for git while
// its code loads (see main).
const COMMANDS: Record<string, (args: string[], io: Io) => Promise<number>> = {
  lint: async (args, io) => (await import("./commands/lint.js")).lintCommand(args, io),
  plan: async (args, io) => (await import("./commands/plan.js")).planCommand(args, io),
  run: async (args, io) => (await import("./commands/run.js")).runCommand(args, io),
  server: async (args, io) => (await import("./commands/server.js")).serverCommand(args, io),
  runner: async (args, io) => (await import("./commands/runner.js")).runnerCommand(args, io),
  deploy: async (args, io) => (await import("./commands/deploy.js")).deployCommand(args, io),
};

export async function main(argv: string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    (name === undefined ? io.stderr : io.stdout).write(USAGE);
    return name === undefined ? 2 : 0;
  }
  if (name === "--version") {
    io.stdout.write(`conveyor ${CONVEYOR_VERSION}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.stderr.write(`conveyor: unknown command '${name}'\n\n${USAGE}`);
    return 2;
  }
  try {
    return await command(rest, withRepositoryFacts(name, rest, io));
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`conveyor ${name}: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

/** The commands that read the repository in the working directory (Io.repository). */
const REPOSITORY_COMMANDS = new Set(["lint", "plan", "run"]);

/**
 * Starts asking git about the working directory's repository before the command's code loads:
 * git's processes then run on another core while this one compiles the command.
 */
function withRepositoryFacts(name: string, args: readonly string[], io: Io): Io {
  if (io.repository || !REPOSITORY_COMMANDS.has(name)) return io;
  if (args.includes("--help") || args.includes("-h")) return io;
  const repository = inspectRepository(io.cwd);
  // A command that stops before it needs the answer (bad flags) must not leave it unobserved.
  repository.catch(() => undefined);
  return { ...io, repository };
}
