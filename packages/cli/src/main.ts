/** The `conveyor` command: parses argv and hands over to one command. Composition only. */
import { asksForHelp, type Io, UsageError } from "./io.js";
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

/** A command: its arguments and what it may touch in, its exit code out. */
export type Command = (args: string[], io: Io) => Promise<number>;

export const COMMAND_NAMES = ["lint", "plan", "run", "server", "runner", "deploy"] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

/**
 * Loads a command's code. Each command's code is loaded on use, from a bundle of its own
 * (launch/launch.ts): the engine, runner and executors are most of the code, and lint and plan
 * should not pay for loading them; nor should any command wait for git while its code loads
 * (see main).
 */
export type CommandLoader = (name: CommandName) => Promise<Command>;

function isCommandName(name: string): name is CommandName {
  return (COMMAND_NAMES as readonly string[]).includes(name);
}

export async function main(argv: string[], io: Io, loadCommand: CommandLoader): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    (name === undefined ? io.stderr : io.stdout).write(USAGE);
    return name === undefined ? 2 : 0;
  }
  if (name === "--version") {
    io.stdout.write(`conveyor ${CONVEYOR_VERSION}\n`);
    return 0;
  }
  if (!isCommandName(name)) {
    io.stderr.write(`conveyor: unknown command '${name}'\n\n${USAGE}`);
    return 2;
  }
  try {
    const commandIo = withRepositoryFacts(name, rest, io);
    const command = await loadCommand(name);
    return await command(rest, commandIo);
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
  if (asksForHelp(args)) return io;
  const repository = inspectRepository(io.cwd);
  // A command that stops before it needs the answer (bad flags) must not leave it unobserved.
  repository.catch(() => undefined);
  return { ...io, repository };
}
