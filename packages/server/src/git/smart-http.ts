/**
 * Git's smart HTTP protocol (https://git-scm.com/docs/http-protocol, and protocol v2 over it,
 * https://git-scm.com/docs/protocol-v2) for the hosted projects, at GitLab's URLs
 * (`/<group>/<project>.git/...`, `.git` optional), served by `git http-backend` as a CGI
 * program (https://git-scm.com/docs/git-http-backend):
 *
 *   GET  <path>/info/refs?service=git-upload-pack|git-receive-pack
 *   POST <path>/git-upload-pack
 *   POST <path>/git-receive-pack
 *
 * Bodies stream both ways: the request body is piped into the program (gzip-encoded bodies
 * are inflated by git-http-backend itself, told through HTTP_CONTENT_ENCODING), and its output
 * is piped to the client after the CGI head. The routes live in an encapsulated plugin with a
 * content-type parser of their own that reads nothing, so the application's body parsers and
 * body limit never touch a pack. Routes are registered per path depth (GitLab nests at most
 * 20 subgroups) rather than as a `/*` wildcard, so they cannot collide with another wildcard.
 */
import { type ChildProcess, spawn } from "node:child_process";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ProjectRecord } from "../store/types.js";
import { type CgiHead, readCgiHead } from "./cgi-response.js";
import type { Authorization, Authorize, Credentials, GitService } from "./git-auth.js";
import { gitEnvironment } from "./git-command.js";
import type { PushWatch } from "./push-watch.js";
import type { Repositories } from "./repositories.js";

export interface SmartHttpOptions {
  repositories: Repositories;
  /** `group/project` → the project; store.projects.byPath. */
  findProject: (path: string) => Promise<ProjectRecord | undefined>;
  authorize: Authorize;
  pushes: PushWatch;
  log: (line: string) => void;
  /** Path segments of the deepest project served: GitLab's 20 subgroups, a group, a project. */
  maxDepth?: number;
}

type Endpoint = "info/refs" | "git-upload-pack" | "git-receive-pack";

const SERVICES: Record<string, GitService> = {
  "git-upload-pack": "upload-pack",
  "git-receive-pack": "receive-pack",
};

/** Messages in the spirit of GitLab's; git shows a 4xx body to the user as `remote:` text. */
const REFUSALS: Record<401 | 403 | 404, (service: GitService) => string> = {
  401: () =>
    "HTTP Basic: access denied. Sign in with a personal access token as the password " +
    "(any user name), or as gitlab-ci-token with the token of a running job.\n",
  403: (service) =>
    service === "receive-pack"
      ? "You may not push to this project.\n"
      : "You may not download code from this project.\n",
  404: () => "No such project, or you may not see it.\n",
};

/** `Authorization: Basic base64(user:password)` → the pair (RFC 7617); undefined otherwise. */
export function basicCredentials(header: string | undefined): Credentials | undefined {
  const match = header ? /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header) : null;
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** The route's path parameters → `group/project` (`.git` dropped), or undefined. */
export function projectPathOf(segments: readonly string[]): string | undefined {
  const parts = [...segments];
  const last = parts.pop();
  if (last === undefined) return undefined;
  parts.push(last.endsWith(".git") ? last.slice(0, -4) : last);
  const valid = parts.every(
    (part) => part !== "" && part !== "." && part !== ".." && !part.includes("/"),
  );
  return valid ? parts.join("/") : undefined;
}

export class SmartHttp {
  private readonly running = new Set<ChildProcess>();

  constructor(private readonly options: SmartHttpOptions) {}

  /** Adds the routes to `app` inside their own encapsulated context. */
  register(app: FastifyInstance): void {
    void app.register(async (scope) => {
      // Bodies stay in the request stream for git-http-backend: no parser reads them here.
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser("*", (_request, _payload, done) => done(null));
      const depth = this.options.maxDepth ?? 22;
      for (let segments = 1; segments <= depth; segments++) {
        const names = Array.from({ length: segments }, (_, index) => `p${index}`);
        const prefix = names.map((name) => `/:${name}`).join("");
        const route = (endpoint: Endpoint) => (request: FastifyRequest, reply: FastifyReply) => {
          const params = request.params as Record<string, string>;
          return this.serve(
            request,
            reply,
            names.map((name) => params[name] ?? ""),
            endpoint,
          );
        };
        scope.get(`${prefix}/info/refs`, route("info/refs"));
        scope.post(`${prefix}/git-upload-pack`, route("git-upload-pack"));
        scope.post(`${prefix}/git-receive-pack`, route("git-receive-pack"));
      }
    });
  }

  /** Stops the git processes still serving requests. */
  close(): void {
    for (const child of this.running) child.kill("SIGTERM");
  }

  private async serve(
    request: FastifyRequest,
    reply: FastifyReply,
    segments: string[],
    endpoint: Endpoint,
  ): Promise<FastifyReply> {
    // Before any wait: a response closed before git starts means the client went away.
    let closed = false;
    const responded = new Promise<void>((resolve) =>
      reply.raw.once("close", () => {
        closed = true;
        resolve();
      }),
    );
    const serviceName =
      endpoint === "info/refs" ? (request.query as Record<string, unknown>).service : endpoint;
    const service = typeof serviceName === "string" ? SERVICES[serviceName] : undefined;
    const path = projectPathOf(segments);
    if (!service) {
      // The "dumb" protocol (info/refs without a service) is not served, as on GitLab.
      return reply.code(403).type("text/plain").send("Only git's smart HTTP protocol is served.\n");
    }
    if (!path) return this.refuse(reply, 404, service);
    const project = await this.options.findProject(path);
    const decision = await this.options.authorize(
      project,
      basicCredentials(request.headers.authorization),
      service,
    );
    if ("status" in decision) return this.refuse(reply, decision.status, service);
    if (!project) return this.refuse(reply, 404, service);
    if (endpoint !== "info/refs") {
      const expected = `application/x-git-${service}-request`;
      if (request.headers["content-type"] !== expected) {
        return reply.code(415).type("text/plain").send(`Expected Content-Type ${expected}.\n`);
      }
    }

    const start = () => {
      if (closed) throw new Error("the client went away before git started");
      return this.startBackend(
        request,
        reply.raw,
        project,
        endpoint,
        serviceName as string,
        decision,
      );
    };
    if (endpoint !== "git-receive-pack") {
      const backend = start();
      return this.respond(reply, await backend.head, backend.body);
    }

    // A push: run alone between two ref snapshots, report the difference after responding.
    const backend = await new Promise<Backend>((resolve, reject) => {
      const updates = this.options.pushes.exclusive(project, this.gitDir(project), async () => {
        const started = start();
        resolve(started);
        const code = await started.exited;
        if (code !== 0) throw new Error(`git http-backend exited with ${code}`);
      });
      updates.then(
        (found) => {
          reject(new Error("the push did not start")); // no effect once started
          this.options.pushes.notify(project, found, decision.user, responded);
        },
        (error: unknown) => {
          reject(error instanceof Error ? error : new Error(String(error)));
          this.options.log(`push to ${project.path}: reading its refs failed: ${String(error)}`);
        },
      );
    });
    return this.respond(reply, await backend.head, backend.body);
  }

  private gitDir(project: ProjectRecord): string {
    return this.options.repositories.pathOf(project.id);
  }

  private refuse(reply: FastifyReply, status: 401 | 403 | 404, service: GitService) {
    if (status === 401) reply.header("www-authenticate", 'Basic realm="GitLab"');
    return reply.code(status).type("text/plain").send(REFUSALS[status](service));
  }

  private respond(reply: FastifyReply, head: CgiHead, body: NodeJS.ReadableStream) {
    reply.code(head.status);
    for (const [name, value] of head.headers) reply.header(name, value);
    return reply.send(body);
  }

  /** Spawns git-http-backend for the request, its body piped in (RFC 3875 §4.1 variables). */
  private startBackend(
    request: FastifyRequest,
    response: ServerResponse,
    project: ProjectRecord,
    endpoint: Endpoint,
    serviceName: string,
    decision: Exclude<Authorization, { status: number }>,
  ): Backend {
    const root = this.options.repositories.root;
    const pathInfo = `/${project.id}.git/${endpoint}`;
    const headers = request.headers;
    const env: Record<string, string> = {
      GATEWAY_INTERFACE: "CGI/1.1",
      SERVER_PROTOCOL: `HTTP/${request.raw.httpVersion}`,
      REQUEST_METHOD: request.method,
      GIT_PROJECT_ROOT: root,
      PATH_INFO: pathInfo,
      PATH_TRANSLATED: `${root}${pathInfo}`,
      // The query is rebuilt from the validated service, not passed through.
      QUERY_STRING: endpoint === "info/refs" ? `service=${serviceName}` : "",
      GIT_HTTP_EXPORT_ALL: "1",
      REMOTE_ADDR: request.ip,
    };
    if (decision.remoteUser) env.REMOTE_USER = decision.remoteUser;
    const contentType = headers["content-type"];
    if (contentType) env.CONTENT_TYPE = contentType;
    const contentLength = headers["content-length"];
    if (contentLength && /^\d+$/.test(contentLength)) env.CONTENT_LENGTH = contentLength;
    const encoding = headers["content-encoding"];
    if (typeof encoding === "string") env.HTTP_CONTENT_ENCODING = encoding.trim().toLowerCase();
    // Protocol v2 is asked for with the Git-Protocol header (gitprotocol-v2(5), "HTTP Transport").
    const protocol = headers["git-protocol"];
    if (typeof protocol === "string" && /^[A-Za-z0-9=:._-]{1,256}$/.test(protocol)) {
      env.GIT_PROTOCOL = protocol;
    }

    const child = spawn("git", ["http-backend"], {
      env: gitEnvironment(env),
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.running.add(child);
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      if (stderr.length < 4096) stderr += chunk.toString("utf8");
    });
    const exited = new Promise<number>((resolve) => {
      child.on("error", (error) => this.options.log(`git http-backend: ${error.message}`));
      child.on("close", (code, signal) => {
        this.running.delete(child);
        if (code !== 0) {
          this.options.log(
            `git http-backend for ${project.path} ${endpoint} ended with ${code ?? signal}: ${stderr.trim()}`,
          );
        }
        resolve(code ?? 128);
      });
    });

    pipeBody(request.raw, child, request.method === "POST");
    // A client gone before its response ended leaves nobody to read or write for.
    response.once("close", () => {
      const running = child.exitCode === null && child.signalCode === null;
      if (running && !response.writableFinished) child.kill("SIGTERM");
    });
    return { head: readCgiHead(child.stdout), body: child.stdout, exited };
  }
}

interface Backend {
  head: Promise<CgiHead>;
  body: NodeJS.ReadableStream;
  exited: Promise<number>;
}

/** Streams the request body into the program's stdin (with backpressure); none for a GET. */
function pipeBody(body: IncomingMessage, child: ChildProcess, hasBody: boolean): void {
  const stdin = child.stdin;
  if (!stdin) return;
  // The program may stop reading early (an error answer): that is not a failure here.
  stdin.on("error", () => undefined);
  if (!hasBody) {
    stdin.end();
    return;
  }
  body.pipe(stdin);
}
