/**
 * `conveyor server`: git hosting, pipelines on push and GitLab's runner API on one port.
 * The embedded default keeps everything in a data directory (SQLite, repositories,
 * artifacts, a generated secret key); `--database postgres://…` moves state to PostgreSQL.
 */
import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { Io } from "../io.js";
import { UsageError } from "../io.js";
import { CONVEYOR_VERSION } from "../version.js";

const USAGE = `usage: conveyor server [--data DIR] [--listen HOST:PORT] [--database URL]
  [--external-url URL] [--registration-token TOKEN] [--root-token TOKEN] [--log-format json|text]

  --data DIR               where state lives (default: ./conveyor-data, or $CONVEYOR_DATA)
  --listen HOST:PORT       where to listen (default 127.0.0.1:8080; port 0 picks a free one)
  --database URL           postgres://… to keep state in PostgreSQL (default: SQLite in DIR,
                           or $CONVEYOR_DATABASE)
  --log-format json|text   what the server says on stderr: JSON lines (time, level, msg), the
                           default, or plain lines
  --external-url URL       the URL runners and git clients reach (default http://HOST:PORT)
  --registration-token T   runners register with T (or $CONVEYOR_REGISTRATION_TOKEN; default:
                           DIR/registration.token)
  --root-token T           a personal access token for the 'root' administrator
                           (or $CONVEYOR_ROOT_TOKEN; default: DIR/root.token)
Secrets not given are made on first start and kept in DIR, readable by you only:
  DIR/secret.key           encrypts CI/CD variables at rest (or $CONVEYOR_SECRET_KEY)
  DIR/root.token           the root administrator's personal access token (PRIVATE-TOKEN)
  DIR/registration.token   registers runners: conveyor runner run --url URL --token "$(cat …)"
Deploys (conveyor deploy) render kustomizations with kubectl and charts with helm from PATH,
or $CONVEYOR_KUBECTL and $CONVEYOR_HELM.
`;

const ROOT_TOKEN_FILE = "root.token";
const REGISTRATION_TOKEN_FILE = "registration.token";

export async function serverCommand(args: string[], io: Io): Promise<number> {
  const { values } = parse(args);
  if (values.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  const dataDir = resolve(io.cwd, values.data ?? io.env.CONVEYOR_DATA ?? "conveyor-data");
  if (values["log-format"] !== undefined && !["json", "text"].includes(values["log-format"])) {
    throw new UsageError(`--log-format takes json or text, not '${values["log-format"]}'`);
  }
  const { host, port } = listenAddress(values.listen ?? io.env.CONVEYOR_LISTEN ?? "127.0.0.1:8080");
  const { newToken, startServer } = await import("@conveyor/server");
  const registrationToken =
    values["registration-token"] ??
    io.env.CONVEYOR_REGISTRATION_TOKEN ??
    (await secretIn(dataDir, REGISTRATION_TOKEN_FILE, () => newToken("registration")));
  const rootToken =
    values["root-token"] ??
    io.env.CONVEYOR_ROOT_TOKEN ??
    (await secretIn(dataDir, ROOT_TOKEN_FILE, () => newToken("personal")));
  const database = values.database ?? io.env.CONVEYOR_DATABASE;
  // The deploy engine renders with kubectl (kustomize) and helm from PATH unless told otherwise.
  const { createDeployer } = await import("@conveyor/deploy");
  const deployer = createDeployer({
    ...(io.env.CONVEYOR_KUBECTL ? { kubectl: io.env.CONVEYOR_KUBECTL } : {}),
    ...(io.env.CONVEYOR_HELM ? { helm: io.env.CONVEYOR_HELM } : {}),
  });
  const server = await startServer({
    deployer,
    dataDir,
    secretKey:
      io.env.CONVEYOR_SECRET_KEY ??
      (await secretIn(dataDir, "secret.key", () => randomBytes(32).toString("base64url"))),
    host,
    port,
    version: CONVEYOR_VERSION,
    ...(database ? { database } : {}),
    ...(values["external-url"] ? { externalUrl: values["external-url"] } : {}),
    ...(registrationToken ? { registrationToken } : {}),
    ...(rootToken ? { rootToken } : {}),
    log: (line, level = "info") =>
      io.stderr.write(
        values["log-format"] === "text"
          ? `${line}\n`
          : `${JSON.stringify({ time: new Date().toISOString(), level, msg: line })}\n`,
      ),
  });
  io.stdout.write(`conveyor server: ${server.url} (data in ${dataDir})\n`);
  await new Promise<void>((done) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      done();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  await server.close();
  return 0;
}

function parse(args: string[]) {
  try {
    return parseArgs({
      args,
      options: {
        data: { type: "string" },
        database: { type: "string" },
        listen: { type: "string" },
        "log-format": { type: "string" },
        "external-url": { type: "string" },
        "registration-token": { type: "string" },
        "root-token": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** `HOST:PORT`, `[::1]:PORT` or `:PORT` (all of loopback's default host). */
export function listenAddress(text: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(text);
  const port = Number(match?.[3]);
  if (!match || !Number.isInteger(port) || port > 65535) {
    throw new UsageError(`--listen must be HOST:PORT, not '${text}'`);
  }
  return { host: match[1] ?? (match[2] || "127.0.0.1"), port };
}

/**
 * A secret kept in the data directory, made on first start (readable by the owner only): the
 * key that seals secrets at rest, the root token, the runner registration token.
 */
async function secretIn(dataDir: string, name: string, make: () => string): Promise<string> {
  const file = join(dataDir, name);
  try {
    return (await readFile(file, "utf8")).trim();
  } catch {
    await mkdir(dataDir, { recursive: true });
    await writeFile(file, `${make()}\n`, { mode: 0o600, flag: "wx" }).catch(async () => undefined);
    return (await readFile(file, "utf8")).trim();
  }
}
