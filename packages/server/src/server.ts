/**
 * `conveyor server` assembled: the store, the artifact blobs, git hosting, the coordinator of
 * pipelines, the runner API, the REST API, the reaper of silent jobs, one HTTP listener. The
 * only place that constructs real clocks, stores and listeners for the server.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import formbody from "@fastify/formbody";
import multipart from "@fastify/multipart";
import type { Deployer } from "@conveyor/deploy";
import { builtinTemplate } from "@conveyor/pipeline";
import Fastify, { type FastifyInstance } from "fastify";
import { FileBlobs } from "./blobs/file-blobs.js";
import { type DeploySystem, registerDeploySystem } from "./deploy/index.js";
import { JobRequests } from "./dispatch/job-request.js";
import type { PayloadContext } from "./dispatch/payload.js";
import { EnvironmentLifecycle, PlannedJobs } from "./environments/index.js";
import { startReaper } from "./dispatch/reaper.js";
import { type GitHosting, openGitHosting, Repositories } from "./git/index.js";
import { registerEnvironmentsApi } from "./http/environments-api.js";
import { ServerMetrics } from "./http/metrics.js";
import { registerOpenApi } from "./http/openapi.js";
import { registerRestApi } from "./http/rest-api.js";
import { registerRunnerApi } from "./http/runner-api.js";
import { registerRunnersApi } from "./http/runners-api.js";
import { registerUsersApi } from "./http/users-api.js";
import { registerVariablesApi } from "./http/variables-api.js";
import { type CommittedStep, Coordinator } from "./pipelines/coordinator.js";
import type { PipelineHost } from "./pipelines/pipeline-host.js";
import type { PipelineStarter } from "./pipelines/starter.js";
import { type TriggerContext, triggerPipeline, type TriggerRequest } from "./pipelines/trigger.js";
import { registerScheduleApi, Scheduler } from "./schedules/index.js";
import { SecretBox } from "./secrets/secret-box.js";
import { registerTriggerApi } from "./triggers/index.js";
import { registerInboundHooks } from "./webhooks/index.js";
import { openStore } from "./store/index.js";
import type { JobChange, ProjectRecord, Store } from "./store/types.js";
import { newToken, tokenDigest } from "./util/tokens.js";

export interface ServerOptions {
  /** Where the server keeps its SQLite file, repositories and artifacts. */
  dataDir: string;
  /** A `postgres://` URL; default: SQLite in the data directory. */
  database?: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** The URL runners and git clients use; default `http://<host>:<port>`. */
  externalUrl?: string;
  /** Encrypts secrets at rest (at least 32 characters). */
  secretKey: string;
  /** Enables legacy runner registration (`POST /api/v4/runners`) with this token. */
  registrationToken?: string;
  /** A personal access token for the `root` administrator, created on first start. */
  rootToken?: string;
  /** Long-poll hold of `jobs/request` (seconds). */
  holdSeconds?: number;
  /** The trace update interval runners are told (seconds). */
  traceIntervalSeconds?: number;
  /** A running job with no update for this long fails with runner_system_failure (seconds). */
  runnerSilenceSeconds?: number;
  maxArtifactBytes?: number;
  /** How often due pipeline schedules are looked for (ms). */
  scheduleIntervalMs?: number;
  /** Conveyor's version, as `GET /api/v4/version` shows it. */
  version?: string;
  /** Where the server says what it did; `level` defaults to info. */
  log?: (line: string, level?: "info" | "error") => void;
  /**
   * The deploy engine (`createDeployer()` of @conveyor/deploy, given by the composition root);
   * undefined: the deploy routes that render, diff or apply answer 503 "deploy engine not
   * configured", while GitLab's deployments API and job deployments still work.
   */
  deployer?: Deployer;
  /** How long an apply waits for the objects to become healthy (ms); default 10 minutes. */
  deployTimeoutMs?: number;
  /** Longest hold of a deployment log long poll (ms); default 20 s. */
  deployLogHoldMs?: number;
  /**
   * The server's clock (epoch ms) for everything time-driven (timestamps, delayed jobs, schedules,
   * environments' `auto_stop_at`); default `Date.now`. Tests move time with it.
   */
  clock?: () => number;
  /**
   * Tests only: called after each committed pipeline step, before the records that follow from
   * it (the new jobs' environments and deployments; the changed jobs' deployments and
   * environments). Throwing there stands for the server dying at that moment: none of them are
   * written, and the next start has to write them.
   */
  onStepCommitted?: (step: CommittedStep) => void;
}

export interface ConveyorServer {
  url: string;
  store: Store;
  coordinator: Coordinator;
  app: FastifyInstance;
  close(): Promise<void>;
}

export async function startServer(options: ServerOptions): Promise<ConveyorServer> {
  const clock = options.clock ?? (() => Date.now());
  const log = options.log ?? (() => undefined);
  await mkdir(options.dataDir, { recursive: true });
  const store = await openStore(options.database ?? options.dataDir);
  await bootstrapRoot(store, options.rootToken, clock());

  const metrics = new ServerMetrics(store, clock);
  const secrets = new SecretBox(options.secretKey);
  const blobs = new FileBlobs(join(options.dataDir, "artifacts"));
  // The listener's port is known only after listen(); URL users read it lazily.
  let serverUrl = options.externalUrl ?? "";
  const urlOf = () => serverUrl;
  const payloads: PayloadContext = {
    store,
    blobs,
    secrets,
    get serverUrl() {
      return urlOf();
    },
  };
  // Assigned below, before the first event can reach the coordinator. (Jobs that load finds
  // ended without their deployments' statuses are caught up by the deploy system's start.)
  const deployment: { system?: DeploySystem } = {};
  const plannedJobs = new PlannedJobs({
    payloads,
    clock,
    onError: (error) => log(`job environment records failed: ${describe(error)}`, "error"),
  });
  /** Job rows a step changed: deployments and environments follow them, metrics count them. */
  const followJobs = (changes: readonly JobChange[]) => {
    if (changes.length === 0) return;
    deployment.system?.followJobs(changes);
    environments.follow(changes);
    for (const change of changes) {
      if (change.finishedAt !== undefined && change.status)
        metrics.jobsFinished.inc({ status: change.status });
    }
  };
  /** Jobs just given their records that had already ended (created skipped, or while down). */
  const endedAmong = (host: PipelineHost, jobIds: readonly number[]): JobChange[] =>
    jobIds.flatMap((id) => {
      const status = host.attempt(id)?.status;
      return status && ENDED_JOB_STATUSES.has(status) ? [{ id, status }] : [];
    });
  const coordinator = new Coordinator({
    store,
    clock,
    afterStep: async (host, step) => {
      if (options.onStepCommitted) {
        try {
          options.onStepCommitted(step);
        } catch (error) {
          log(`stopped after a committed step: ${describe(error)}`, "error");
          return;
        }
      }
      const planned = await plannedJobs.plan(host, step.newJobIds);
      followJobs([...step.changedJobs, ...endedAmong(host, planned)]);
    },
    onRestore: async (host) => {
      const planned = await plannedJobs.plan(
        host,
        host.attempts().map((attempt) => attempt.id),
      );
      followJobs(endedAmong(host, planned));
    },
    onError: (error) => log(`pipeline event failed: ${describe(error)}`, "error"),
  });
  const environments = new EnvironmentLifecycle({
    store,
    clock,
    pipelines: coordinator,
    onError: (error) => log(`environment update failed: ${describe(error)}`, "error"),
  });
  await coordinator.load();

  const app = Fastify({ bodyLimit: 32 * 1024 * 1024, forceCloseConnections: true });
  await app.register(multipart, {
    limits: { fileSize: options.maxArtifactBytes ?? 1024 * 1024 * 1024, files: 1 },
  });
  // Trace chunks and other non-JSON bodies arrive as bytes.
  app.removeContentTypeParser("text/plain");
  app.addContentTypeParser("*", { parseAs: "buffer" }, (_request, body, done) => done(null, body));
  // Form posts (trigger tokens, curl --data) read like JSON bodies.
  await app.register(formbody);
  await registerOpenApi(app, options.version ?? "0.0.0-dev");

  const repositories = new Repositories(join(options.dataDir, "repositories"));
  const git: GitHosting = await openGitHosting({
    root: join(options.dataDir, "repositories"),
    readTemplate: async (name) => builtinTemplate(name),
    store,
    clock,
    onPush: async (project, updates, user) => {
      for (const update of updates) {
        const outcome = await startAt(project, {
          source: "push",
          ref: update.ref,
          sha: update.after,
          beforeSha: update.before,
          ...(user ? { user } : {}),
        });
        log(
          outcome.created
            ? `pipeline ${outcome.pipeline.id} for ${project.path} ${update.ref.name}`
            : `no pipeline for ${project.path} ${update.ref.name}: ${outcome.reason}`,
        );
      }
    },
    log,
  });
  const triggerContext = (): TriggerContext => ({
    coordinator,
    serverUrl: urlOf(),
    clock,
    isProtected: (project, ref) => ref.kind === "branch" && ref.name === project.defaultBranch,
  });

  /** A pipeline at a resolved ref and commit of a hosted project. */
  const startAt = (project: ProjectRecord, request: Omit<TriggerRequest, "project">) =>
    triggerPipeline(triggerContext(), git.reader(project, request.user), { project, ...request });

  /** Pipelines that don't come from a push to the hosted repository. */
  const starter: PipelineStarter = {
    async start(project, request) {
      const full = /^refs\/(heads|tags)\/(.+)$/.exec(request.ref);
      const name = full?.[2] ?? request.ref;
      const kind: "branch" | "tag" | undefined = full
        ? full[1] === "heads"
          ? "branch"
          : "tag"
        : undefined;
      const resolved =
        request.sha && kind
          ? { ref: { kind, name }, sha: request.sha }
          : await git.reader(project, request.user).resolveRef(name);
      if (!resolved || (kind && resolved.ref.kind !== kind))
        return { error: "Reference not found" };
      const outcome = await startAt(project, {
        source: request.source,
        ref: resolved.ref,
        sha: request.sha ?? resolved.sha,
        ...(request.beforeSha ? { beforeSha: request.beforeSha } : {}),
        ...(request.variables ? { variables: request.variables } : {}),
        ...(request.user ? { user: request.user } : {}),
      });
      return outcome.created ? { pipelineId: outcome.pipeline.id } : { error: outcome.reason };
    },
  };

  const jobRequests = new JobRequests({
    coordinator,
    payloads,
    holdMs: (options.holdSeconds ?? 50) * 1000,
    clock,
  });
  registerRunnerApi(app, {
    store,
    coordinator,
    jobRequests,
    blobs,
    clock,
    traceIntervalSeconds: options.traceIntervalSeconds ?? 3,
    maxArtifactBytes: options.maxArtifactBytes ?? 1024 * 1024 * 1024,
    ...(options.registrationToken ? { registrationToken: options.registrationToken } : {}),
    onJobRequest: (job) => {
      metrics.jobRequests.inc({ outcome: job ? "job" : "empty" });
      if (job?.queuedAt !== undefined)
        metrics.queueWait.observe(Math.max(0, clock() - job.queuedAt) / 1000);
    },
    settled: async (jobId) => {
      await Promise.all([environments.idle(jobId), deployment.system?.idle(jobId)]);
    },
  });
  const restOptions = {
    store,
    clock,
    get serverUrl() {
      return urlOf();
    },
  };
  registerUsersApi(app, restOptions);
  registerVariablesApi(app, { store, clock, secrets });
  registerRunnersApi(app, restOptions);
  registerEnvironmentsApi(app, {
    store,
    clock,
    get serverUrl() {
      return urlOf();
    },
    environments,
  });
  const deploys = registerDeploySystem(app, {
    store,
    clock,
    secrets,
    get serverUrl() {
      return urlOf();
    },
    applyTimeoutMs: options.deployTimeoutMs ?? 10 * 60_000,
    log,
    ...(options.deployer ? { deployer: options.deployer } : {}),
    ...(options.deployLogHoldMs !== undefined ? { logHoldMs: options.deployLogHoldMs } : {}),
  });
  deployment.system = deploys;
  await deploys.start();
  // Before serving: what a stopped server committed for environments but did not apply.
  const recovered = await environments.recover();
  if (recovered.jobEnds > 0 || recovered.stops > 0)
    log(
      `environments caught up: ${recovered.jobEnds} job end(s) applied, ` +
        `${recovered.stops} stop(s) resumed`,
    );
  metrics.mount(app);
  const version = { version: options.version ?? "0.0.0-dev", revision: "conveyor" };
  app.get("/api/v4/version", async () => version);
  app.get("/-/health", async (_request, reply) => reply.type("text/plain").send("GitLab OK"));
  registerRestApi(app, {
    store,
    coordinator,
    get serverUrl() {
      return urlOf();
    },
    clock,
    createRepository: (project) => git.create(project),
    runPipeline: async (project, ref, variables, user) => {
      const outcome = await starter.start(project, { ref, source: "api", variables, user });
      return "error" in outcome ? { error: outcome.error } : { pipelineId: outcome.pipelineId };
    },
  });
  const routeDeps = {
    store,
    starter,
    clock,
    get serverUrl() {
      return urlOf();
    },
  };
  registerTriggerApi(app, routeDeps);
  registerScheduleApi(app, routeDeps);
  registerInboundHooks(app, {
    store,
    starter,
    clock,
    get serverUrl() {
      return urlOf();
    },
    secrets,
    repositoryPath: (project) => repositories.pathOf(project.id),
    log,
  });
  const scheduler = new Scheduler({
    store,
    starter,
    clock,
    intervalMs: options.scheduleIntervalMs ?? 15_000,
    onError: (error) => log(`schedule failed: ${describe(error)}`, "error"),
    // GitLab looks for expired environments hourly (docs: ci/environments, "Stop an environment
    // after a certain time period"); Conveyor looks on every scheduler tick.
    tasks: [{ name: "environment auto-stop", run: () => environments.stopExpired() }],
  });
  git.mount(app);

  const stopReaper = startReaper(
    {
      store,
      coordinator,
      clock,
      silenceMs: (options.runnerSilenceSeconds ?? 3600) * 1000,
      onError: (error) => log(`reaper failed: ${describe(error)}`, "error"),
    },
    Math.min(60_000, Math.max(250, ((options.runnerSilenceSeconds ?? 3600) * 1000) / 4)),
  );

  const host = options.host ?? "127.0.0.1";
  await app.listen({ host, port: options.port ?? 8080 });
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : options.port;
  serverUrl = options.externalUrl ?? `http://${host}:${port}`;
  scheduler.start();
  log(`conveyor server listening on ${serverUrl}`);

  return {
    get url() {
      return serverUrl;
    },
    store,
    coordinator,
    app,
    async close() {
      stopReaper();
      await scheduler.stop();
      coordinator.close();
      await deploys.close();
      await app.close();
      await git.close();
      await store.close();
    },
  };
}

/** The `root` administrator, and its token when one is configured. */
async function bootstrapRoot(store: Store, rootToken: string | undefined, now: number) {
  let root = await store.users.byUsername("root");
  root ??= await store.users.create(
    { username: "root", name: "Administrator", email: "root@localhost", admin: true },
    now,
  );
  if (rootToken && !(await store.tokens.byDigest(tokenDigest(rootToken)))) {
    await store.tokens.create(
      { userId: root.id, name: "root-token", digest: tokenDigest(rootToken), scopes: ["api"] },
      now,
    );
  }
}

/** Job statuses that end a job. */
const ENDED_JOB_STATUSES: ReadonlySet<string> = new Set([
  "success",
  "failed",
  "canceled",
  "skipped",
]);

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export { newToken };
export type { ProjectRecord };
