/**
 * `conveyor deploy`: Conveyor's deploy system from a CI job or a laptop, over the server's REST
 * API (/api/v4).
 * - `push DIR` uploads the files of DIR as a new version of a resource set (the server renders
 *   it; the same content answers the stored version) and prints its digest on stdout;
 * - `apply` deploys a version to an environment and streams the deployment's log (exit 1 when
 *   the rollout fails); `rollback --to` applies an earlier deployment's version or a digest and
 *   pins the environment; `unpin` releases it; `redeploy` applies the current version again;
 * - `diff` shows what an apply would change; `status` the environment's newest deployment and
 *   its objects; `history` its deployments (a table, or --json).
 * Where: --url, else $CI_API_V4_URL or $CI_SERVER_URL (in a job), else $CONVEYOR_URL. Who:
 * --token or $CONVEYOR_TOKEN (a personal access token), else $CI_JOB_TOKEN (the running job's
 * token). Which project: --project or $CI_PROJECT_ID; environment: --environment or
 * $CI_ENVIRONMENT_NAME. Tokens are sent, never printed.
 */
import { readdir, readFile } from "node:fs/promises";
import { basename, join, relative, resolve } from "node:path";
import { type ParseArgsConfig, parseArgs } from "node:util";
import type { Io } from "../io.js";
import { UsageError } from "../io.js";
import { usageErrors } from "./options.js";
import { renderTable } from "./table.js";

const USAGE = `usage: conveyor deploy <command> [options]

commands:
  push DIR       upload the files of DIR as a version of a resource set; prints its digest
  apply          deploy a version to an environment and stream the log (exit 1 on failure)
  diff           show what applying a version would change
  status         the environment's newest deployment and its objects
  history        the environment's deployments (--json for JSON)
  rollback       apply an earlier version (--to DEPLOYMENT_ID|DIGEST) and pin the environment
  unpin          let deploys of other versions reach a pinned environment again
  redeploy       apply the environment's current version again

conveyor deploy push [--set S] [--kind plain|kustomize|helm] [--var KEY=VALUE]...
    [--release NAME [--release-namespace NS]] DIR|-f DIR
  The resource set (--set, or --resource-set) defaults to DIR's name; --var fills the
  placeholders \${KEY} and __KEY__ (helm: --set KEY=VALUE); --release names a chart's release.
conveyor deploy apply [--environment E] [--set S] [--version DIGEST|latest | -f DIR [--var …]]
    [--supersede] [--no-wait]
  -f DIR pushes DIR first (with push's options) and deploys that version. --supersede cancels
  the environment's deployments still waiting to start; --no-wait returns once it is queued.
conveyor deploy diff [--environment E] [--set S] [--version DIGEST|latest | -f DIR [--var …]]
conveyor deploy status [--environment E] [--deployment ID] [--json]
conveyor deploy history [--environment E] [--limit N] [--json]
conveyor deploy rollback [--environment E] --to DEPLOYMENT_ID|DIGEST [--set S] [--no-wait]
conveyor deploy unpin [--environment E]
conveyor deploy redeploy [--environment E] [--no-wait]

Every command takes:
  --url URL        the Conveyor server (default: $CI_API_V4_URL or $CI_SERVER_URL in a job,
                   else $CONVEYOR_URL)
  --token TOKEN    a personal access token (default: $CONVEYOR_TOKEN, else the job's
                   $CI_JOB_TOKEN)
  --project P      the project's id or path (default: $CI_PROJECT_ID)
  --environment E  (default: $CI_ENVIRONMENT_NAME)
`;

const COMMON = {
  url: { type: "string" },
  token: { type: "string" },
  project: { type: "string" },
  environment: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/** A subcommand's flags (COMMON's and `options`), with no positional argument; bad ones are usage errors. */
function flagsOf<const T extends NonNullable<ParseArgsConfig["options"]>>(
  args: string[],
  options: T,
) {
  return usageErrors(() =>
    parseArgs({ args, options: { ...COMMON, ...options }, strict: true, allowPositionals: false }),
  ).values;
}

const VERSION_OPTIONS = {
  set: { type: "string" },
  "resource-set": { type: "string" },
  version: { type: "string" },
} as const;

const WAIT_OPTIONS = { wait: { type: "boolean" }, "no-wait": { type: "boolean" } } as const;

/** A request the server refused (its status and message). */
export class DeployApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

interface Deployment {
  id: number;
  iid: number;
  status: string;
  source: string;
  ref: string | null;
  sha: string | null;
  created_at: string;
  finished_at: string | null;
  message: string | null;
  user: { username: string } | null;
  deployable: { id: number; pipeline: { id: number } | null } | null;
  environment: { name: string } | null;
  resource_set: { name: string } | null;
  version: { digest: string } | null;
  objects: {
    ref: { kind: string; name: string; namespace?: string };
    action: string;
    health: string;
    message?: string;
  }[];
}

/** The server, the credentials and the project a command talks to. */
export class DeployClient {
  constructor(
    private readonly apiUrl: string,
    private readonly auth: Record<string, string>,
    readonly project: string,
  ) {}

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.apiUrl}/projects/${encodeURIComponent(this.project)}${path}`, {
        method,
        headers: {
          ...this.auth,
          ...(body !== undefined ? { "Content-Type": "application/json" } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (error) {
      throw new DeployApiError(0, `cannot reach ${this.apiUrl}: ${(error as Error).message}`);
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === "" ? undefined : JSON.parse(text);
    } catch {
      parsed = text;
    }
    if (!response.ok) {
      const message =
        parsed && typeof parsed === "object" && "message" in parsed
          ? (parsed as { message: unknown }).message
          : parsed;
      throw new DeployApiError(
        response.status,
        typeof message === "string" ? message : `${response.status} ${JSON.stringify(message)}`,
      );
    }
    return parsed as T;
  }
}

/** The client for the flags and the environment a command runs with. */
export function clientFor(
  values: { url?: string | undefined; token?: string | undefined; project?: string | undefined },
  env: Io["env"],
): DeployClient {
  const given = values.url ?? env.CI_API_V4_URL ?? env.CI_SERVER_URL ?? env.CONVEYOR_URL;
  if (!given) throw new UsageError("--url is required (or $CI_SERVER_URL, $CONVEYOR_URL)");
  const base = given.replace(/\/+$/, "");
  const apiUrl = base.endsWith("/api/v4") ? base : `${base}/api/v4`;
  const token = values.token ?? env.CONVEYOR_TOKEN;
  const jobToken = env.CI_JOB_TOKEN;
  const auth: Record<string, string> | undefined = token
    ? { "PRIVATE-TOKEN": token }
    : jobToken
      ? { "JOB-TOKEN": jobToken }
      : undefined;
  if (!auth) throw new UsageError("--token is required (or $CONVEYOR_TOKEN, $CI_JOB_TOKEN)");
  const project = values.project ?? env.CI_PROJECT_ID;
  if (!project) throw new UsageError("--project is required (or $CI_PROJECT_ID)");
  return new DeployClient(apiUrl, auth, project);
}

function environmentOf(values: { environment?: string | undefined }, env: Io["env"]): string {
  const environment = values.environment ?? env.CI_ENVIRONMENT_NAME;
  if (!environment) throw new UsageError("--environment is required (or $CI_ENVIRONMENT_NAME)");
  return environment;
}

export async function deployCommand(args: string[], io: Io): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === "--help" || sub === "-h" || sub === "help") {
    (sub === undefined ? io.stderr : io.stdout).write(USAGE);
    return sub === undefined ? 2 : 0;
  }
  const commands: Record<string, (args: string[], io: Io) => Promise<number>> = {
    push,
    apply,
    diff,
    status,
    history,
    rollback,
    unpin,
    redeploy,
  };
  const command = commands[sub];
  if (!command) throw new UsageError(`unknown deploy command '${sub}'`);
  try {
    return await command(rest, io);
  } catch (error) {
    if (error instanceof DeployApiError) {
      io.stderr.write(`conveyor deploy ${sub}: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

/** Every file under `dir` (relative paths, `/`-separated), without `.git`. */
async function filesIn(dir: string): Promise<{ path: string; content: string }[]> {
  const out: { path: string; content: string }[] = [];
  const visit = async (folder: string) => {
    const entries = await readdir(folder, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const full = join(folder, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== ".git") await visit(full);
      } else if (entry.isFile()) {
        out.push({
          path: relative(dir, full).split("\\").join("/"),
          content: await readFile(full, "utf8"),
        });
      }
    }
  };
  await visit(dir);
  return out;
}

/** What makes a version: the directory, its kind, the placeholder values, a helm release. */
const SOURCE_OPTIONS = {
  file: { type: "string", short: "f" },
  kind: { type: "string" },
  var: { type: "string", multiple: true },
  release: { type: "string" },
  "release-namespace": { type: "string" },
} as const;

/** The resource set: `--set NAME` (as the seed pipelines write it) or `--resource-set NAME`. */
const SET_OPTIONS = {
  set: { type: "string" },
  "resource-set": { type: "string" },
} as const;

interface SourceValues {
  file?: string | undefined;
  kind?: string | undefined;
  var?: string[] | undefined;
  release?: string | undefined;
  "release-namespace"?: string | undefined;
  set?: string | undefined;
  "resource-set"?: string | undefined;
}

function setNameOf(values: SourceValues): string | undefined {
  if (values.set !== undefined && values["resource-set"] !== undefined)
    throw new UsageError("give the resource set once: --set or --resource-set");
  return values.set ?? values["resource-set"];
}

/** Uploads DIR's files as a version of its resource set; the server renders and stores it. */
async function pushVersion(
  client: DeployClient,
  directory: string,
  values: SourceValues,
  io: Io,
): Promise<{ set: string; digest: string }> {
  const kind = values.kind ?? "plain";
  if (!["plain", "kustomize", "helm"].includes(kind))
    throw new UsageError(`--kind takes plain, kustomize or helm, not '${kind}'`);
  const placeholderValues: Record<string, string> = {};
  for (const pair of values.var ?? []) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new UsageError(`--var takes KEY=VALUE, got '${pair}'`);
    placeholderValues[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const dir = resolve(io.cwd, directory);
  let files;
  try {
    files = await filesIn(dir);
  } catch (error) {
    throw new UsageError(`cannot read ${directory}: ${(error as Error).message}`);
  }
  if (files.length === 0) throw new UsageError(`${directory} has no files`);
  const set = setNameOf(values) ?? basename(dir);
  const version = await client.call<{ digest: string; id: number; created_at: string }>(
    "POST",
    `/resource_sets/${encodeURIComponent(set)}/versions`,
    {
      kind,
      files,
      values: placeholderValues,
      ...(values.release
        ? {
            release: {
              name: values.release,
              ...(values["release-namespace"] ? { namespace: values["release-namespace"] } : {}),
            },
          }
        : {}),
    },
  );
  io.stderr.write(`Pushed ${files.length} file(s) of ${set}: ${version.digest}\n`);
  return { set, digest: version.digest };
}

async function push(args: string[], io: Io): Promise<number> {
  const { values, positionals } = usageErrors(() =>
    parseArgs({
      args,
      options: { ...COMMON, ...SET_OPTIONS, ...SOURCE_OPTIONS },
      strict: true,
      allowPositionals: true,
    }),
  );
  if (values.help) return help(io);
  const directory = values.file ?? positionals[0];
  if (directory === undefined || positionals.length > (values.file ? 0 : 1))
    throw new UsageError("push takes one directory (DIR or -f DIR)");
  const { digest } = await pushVersion(clientFor(values, io.env), directory, values, io);
  io.stdout.write(`${digest}\n`);
  return 0;
}

/**
 * The version an apply or diff names: with `-f DIR`, DIR is pushed first (one step, as the seed
 * pipelines deploy); else `--version` (default latest) of the named or only resource set.
 */
async function versionToDeploy(
  client: DeployClient,
  values: SourceValues & { version?: string | undefined },
  io: Io,
): Promise<{ set: string; version: string }> {
  if (values.file !== undefined) {
    if (values.version !== undefined)
      throw new UsageError("-f DIR deploys what it pushes: leave out --version");
    const pushed = await pushVersion(client, values.file, values, io);
    return { set: pushed.set, version: pushed.digest };
  }
  if (values.var !== undefined || values.kind !== undefined)
    throw new UsageError("--var and --kind describe files: give them with -f DIR");
  return {
    set: setNameOf(values) ?? (await onlyResourceSet(client)),
    version: values.version ?? "latest",
  };
}

async function apply(args: string[], io: Io): Promise<number> {
  const values = flagsOf(args, {
    ...VERSION_OPTIONS,
    ...SOURCE_OPTIONS,
    ...WAIT_OPTIONS,
    supersede: { type: "boolean" },
  });
  if (values.help) return help(io);
  const client = clientFor(values, io.env);
  const environment = environmentOf(values, io.env);
  const { set, version } = await versionToDeploy(client, values, io);
  const deployment = await client.call<Deployment>(
    "POST",
    `${environmentPath(environment)}/deploy`,
    {
      resource_set: set,
      version,
      ...(values.supersede ? { supersede: true } : {}),
    },
  );
  return follow(client, deployment, values["no-wait"] === true, io);
}

async function rollback(args: string[], io: Io): Promise<number> {
  const values = flagsOf(args, {
    to: { type: "string" },
    ...SET_OPTIONS,
    ...WAIT_OPTIONS,
  });
  if (values.help) return help(io);
  if (!values.to) throw new UsageError("--to DEPLOYMENT_ID|DIGEST is required");
  const client = clientFor(values, io.env);
  const environment = environmentOf(values, io.env);
  const body = /^\d+$/.test(values.to)
    ? { deployment_id: Number(values.to) }
    : {
        version: values.to,
        ...(setNameOf(values) ? { resource_set: setNameOf(values) } : {}),
      };
  const deployment = await client.call<Deployment>(
    "POST",
    `${environmentPath(environment)}/rollback`,
    body,
  );
  io.stderr.write(
    `${environment} is pinned to ${deployment.version?.digest} until someone unpins it\n`,
  );
  return follow(client, deployment, values["no-wait"] === true, io);
}

async function redeploy(args: string[], io: Io): Promise<number> {
  const values = flagsOf(args, { ...WAIT_OPTIONS });
  if (values.help) return help(io);
  const client = clientFor(values, io.env);
  const environment = environmentOf(values, io.env);
  const deployment = await client.call<Deployment>(
    "POST",
    `${environmentPath(environment)}/redeploy`,
  );
  return follow(client, deployment, values["no-wait"] === true, io);
}

async function unpin(args: string[], io: Io): Promise<number> {
  const values = flagsOf(args, {});
  if (values.help) return help(io);
  const client = clientFor(values, io.env);
  const environment = environmentOf(values, io.env);
  await client.call("POST", `${environmentPath(environment)}/unpin`);
  io.stdout.write(`${environment} is no longer pinned\n`);
  return 0;
}

async function diff(args: string[], io: Io): Promise<number> {
  const values = flagsOf(args, {
    ...VERSION_OPTIONS,
    ...SOURCE_OPTIONS,
    json: { type: "boolean" },
  });
  if (values.help) return help(io);
  const client = clientFor(values, io.env);
  const environment = environmentOf(values, io.env);
  const { set, version } = await versionToDeploy(client, values, io);
  const answer = await client.call<{
    version: { digest: string };
    entries: {
      ref: { kind: string; name: string; namespace?: string };
      change: string;
      diff?: string;
    }[];
  }>("POST", `${environmentPath(environment)}/diff`, {
    resource_set: set,
    version,
  });
  if (values.json) {
    io.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
    return 0;
  }
  const marks: Record<string, string> = { create: "+", update: "~", prune: "-", unchanged: "=" };
  io.stdout.write(`${set} ${answer.version.digest} → ${environment}\n`);
  for (const entry of answer.entries) {
    const where = entry.ref.namespace ? ` (${entry.ref.namespace})` : "";
    io.stdout.write(
      `${marks[entry.change] ?? "?"} ${entry.change} ${entry.ref.kind}/${entry.ref.name}${where}\n`,
    );
    if (entry.diff) io.stdout.write(`${entry.diff.replace(/^/gm, "    ")}\n`);
  }
  return 0;
}

async function status(args: string[], io: Io): Promise<number> {
  const values = flagsOf(args, { deployment: { type: "string" }, json: { type: "boolean" } });
  if (values.help) return help(io);
  const client = clientFor(values, io.env);
  let deployment: Deployment | undefined;
  if (values.deployment) {
    deployment = await client.call<Deployment>(
      "GET",
      `/deployments/${encodeURIComponent(values.deployment)}`,
    );
  } else {
    const environment = environmentOf(values, io.env);
    deployment = (
      await client.call<Deployment[]>(
        "GET",
        `/deployments?environment=${encodeURIComponent(environment)}&sort=desc&per_page=1`,
      )
    )[0];
    if (!deployment) {
      io.stdout.write(values.json ? "null\n" : `${environment} has no deployments\n`);
      return 0;
    }
  }
  if (values.json) {
    io.stdout.write(`${JSON.stringify(deployment, null, 2)}\n`);
    return 0;
  }
  const d = deployment;
  io.stdout.write(
    `deployment ${d.id} to ${d.environment?.name ?? "?"}: ${d.status}\n` +
      `  ${d.source}${d.resource_set ? ` of ${d.resource_set.name}` : ""}${d.version ? ` ${d.version.digest}` : ""}\n` +
      `  by ${d.user?.username ?? "-"}${d.deployable ? ` (job ${d.deployable.id})` : ""}, created ${d.created_at}` +
      `${d.finished_at ? `, finished ${d.finished_at}` : ""}\n` +
      (d.message ? `  ${d.message}\n` : ""),
  );
  if (d.objects.length > 0) {
    io.stdout.write(
      renderTable(
        ["OBJECT", "NAMESPACE", "ACTION", "HEALTH", "MESSAGE"],
        d.objects.map((o) => [
          `${o.ref.kind}/${o.ref.name}`,
          o.ref.namespace ?? "",
          o.action,
          o.health,
          o.message ?? "",
        ]),
      ),
    );
  }
  return 0;
}

async function history(args: string[], io: Io): Promise<number> {
  const values = flagsOf(args, { limit: { type: "string" }, json: { type: "boolean" } });
  if (values.help) return help(io);
  const limit = values.limit === undefined ? 20 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100)
    throw new UsageError(`--limit takes a whole number from 1 to 100, not '${values.limit}'`);
  const client = clientFor(values, io.env);
  const environment = values.environment ?? io.env.CI_ENVIRONMENT_NAME;
  const deployments = await client.call<Deployment[]>(
    "GET",
    `/deployments?sort=desc&per_page=${limit}${environment ? `&environment=${encodeURIComponent(environment)}` : ""}`,
  );
  if (values.json) {
    io.stdout.write(`${JSON.stringify(deployments, null, 2)}\n`);
    return 0;
  }
  io.stdout.write(
    renderTable(
      ["ID", "ENVIRONMENT", "STATUS", "SOURCE", "VERSION", "USER", "JOB", "CREATED"],
      deployments.map((d) => [
        String(d.id),
        d.environment?.name ?? "",
        d.status,
        d.source,
        d.version ? `${d.resource_set?.name ?? ""} ${d.version.digest.slice(0, 19)}`.trim() : "",
        d.user?.username ?? "",
        d.deployable ? String(d.deployable.id) : "",
        d.created_at,
      ]),
    ),
  );
  return 0;
}

function help(io: Io): number {
  io.stdout.write(USAGE);
  return 0;
}

function environmentPath(environment: string): string {
  return `/environments/${encodeURIComponent(environment)}`;
}

/** The project's resource set when it has exactly one (so `--resource-set` may be left out). */
async function onlyResourceSet(client: DeployClient): Promise<string> {
  const sets = await client.call<{ name: string }[]>("GET", "/resource_sets");
  if (sets.length === 1) return sets[0]!.name;
  throw new UsageError(
    sets.length === 0
      ? "the project has no resource sets yet: conveyor deploy push DIR first"
      : `--resource-set is required (the project has ${sets.map((s) => s.name).join(", ")})`,
  );
}

/** Streams the deployment's log to stdout until it ends; exit 0 only for success. */
async function follow(
  client: DeployClient,
  deployment: Deployment,
  noWait: boolean,
  io: Io,
): Promise<number> {
  io.stderr.write(
    `Deployment ${deployment.id} (${deployment.source}) queued for ${deployment.environment?.name}\n`,
  );
  if (noWait) {
    io.stdout.write(`${deployment.id}\n`);
    return 0;
  }
  let offset = 0;
  for (;;) {
    const page = await client.call<{
      status: string;
      offset: number;
      lines: string[];
      complete: boolean;
    }>("GET", `/deployments/${deployment.id}/log?offset=${offset}`);
    for (const line of page.lines) io.stdout.write(`${line}\n`);
    offset = page.offset;
    if (page.complete) {
      if (page.status === "success") return 0;
      const done = await client.call<Deployment>("GET", `/deployments/${deployment.id}`);
      io.stderr.write(
        `conveyor deploy: deployment ${deployment.id} ${done.status}${done.message ? `: ${done.message}` : ""}\n`,
      );
      return 1;
    }
  }
}
