/**
 * Who may fetch from or push to a hosted repository over HTTP, as GitLab decides it for Git
 * over HTTP Basic authentication:
 * - any user name with a personal access token (docs: user/profile/personal_access_tokens,
 *   https://docs.gitlab.com/user/profile/personal_access_tokens/): the token needs a scope
 *   that grants Git access (`read_repository` fetches; `write_repository` or `api` also push),
 *   then the user's role decides: fetch needs Reporter (or a public project, or an internal
 *   one for any signed-in user), push needs Developer; administrators act as Owner;
 * - user `gitlab-ci-token` with a job token (docs: ci/jobs/ci_job_token,
 *   https://docs.gitlab.com/ci/jobs/ci_job_token/): fetch of the job's own project while the
 *   job runs; a job token never pushes.
 *
 * Answers, following GitLab (lib/gitlab/auth.rb, Repositories::GitHttpClientController):
 * 401 (with a Basic challenge, added by the HTTP layer) whenever credentials are missing and
 * could help, or are wrong, revoked, expired or belong to a finished job — so an anonymous
 * client learns nothing about which private projects exist; 404 to an authenticated caller
 * for a project that does not exist or that the caller cannot see; 403 when the caller sees
 * the project but lacks the role or the token scope.
 */
import {
  ACCESS_LEVELS,
  type JobRecord,
  type ProjectRecord,
  type Store,
  type UserRecord,
} from "../store/types.js";
import { accessLevelOf, readsCode } from "../store/access-level.js";
import { tokenDigest } from "../util/tokens.js";

export type GitService = "upload-pack" | "receive-pack";

export interface Credentials {
  username: string;
  password: string;
}

export type Authorization =
  | {
      /** The signed-in user; undefined for anonymous access and job tokens. */
      user?: UserRecord;
      /** What git's CGI sees as `REMOTE_USER`. */
      remoteUser?: string;
    }
  | { status: 401 | 403 | 404 };

/** The decision for one request; `project` is undefined when no project has that path. */
export type Authorize = (
  project: ProjectRecord | undefined,
  credentials: Credentials | undefined,
  service: GitService,
) => Promise<Authorization>;

/** The user name GitLab reserves for job tokens in Git URLs. */
export const JOB_TOKEN_USER = "gitlab-ci-token";

/** Token scopes that grant Git over HTTP (Gitlab::Auth, abilities_for_scopes). */
const READ_SCOPES = new Set(["api", "read_repository", "write_repository"]);
const WRITE_SCOPES = new Set(["api", "write_repository"]);

type Identity =
  { kind: "job"; job: JobRecord } | { kind: "user"; user: UserRecord; canPush: boolean };

/** Whether the user (undefined: anonymous) may read the project's code. */
export async function canReadCode(
  store: Store,
  project: ProjectRecord,
  user: UserRecord | undefined,
): Promise<boolean> {
  return readsCode(
    project,
    user ? await accessLevelOf(store, project, user) : 0,
    user !== undefined,
  );
}

async function identify(
  store: Store,
  credentials: Credentials,
  now: number,
): Promise<Identity | undefined> {
  const digest = tokenDigest(credentials.password);
  if (credentials.username === JOB_TOKEN_USER) {
    const job = await store.jobs.byTokenDigest(digest);
    if (job) return job.status === "running" ? { kind: "job", job } : undefined;
  }
  const token = await store.tokens.byDigest(digest);
  if (!token || token.revoked) return undefined;
  if (token.expiresAt !== undefined && token.expiresAt <= now) return undefined;
  if (!token.scopes.some((scope) => READ_SCOPES.has(scope))) return undefined;
  const user = await store.users.byId(token.userId);
  if (!user) return undefined;
  return { kind: "user", user, canPush: token.scopes.some((scope) => WRITE_SCOPES.has(scope)) };
}

/** The default `Authorize`, backed by the store. */
export function storeAuthorizer(store: Store, clock: () => number): Authorize {
  return async (project, credentials, service) => {
    const identity = credentials ? await identify(store, credentials, clock()) : undefined;
    if (!identity) {
      // Anonymous: only a public project's code, and only fetched; else ask for credentials.
      if (!credentials && project?.visibility === "public" && service === "upload-pack") {
        return {};
      }
      return { status: 401 };
    }
    if (!project) return { status: 404 };

    if (identity.kind === "job") {
      const own = identity.job.projectId === project.id;
      if (service === "upload-pack" && (own || project.visibility === "public")) {
        return { remoteUser: JOB_TOKEN_USER };
      }
      return { status: own || project.visibility === "public" ? 403 : 404 };
    }

    const { user } = identity;
    const level = await accessLevelOf(store, project, user);
    const visible = level > 0 || project.visibility !== "private";
    const allowed =
      service === "upload-pack"
        ? readsCode(project, level, true)
        : identity.canPush && level >= ACCESS_LEVELS.developer;
    if (allowed) return { user, remoteUser: user.username };
    return { status: visible ? 403 : 404 };
  };
}
