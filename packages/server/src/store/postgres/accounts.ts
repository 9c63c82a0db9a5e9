/** PostgreSQL stores of who and what: users, access tokens, projects with members, runners. */
import type pg from "pg";
import { type Assignment, assignments, PROJECT_COLUMNS, RUNNER_COLUMNS } from "../changes.js";
import { translatingConflictsAsync } from "../conflicts.js";
import {
  accessTokenFrom,
  memberFrom,
  orNull,
  projectFrom,
  type Row,
  runnerFrom,
  userFrom,
} from "../rows.js";
import type {
  AccessTokenRecord,
  AccessTokenStore,
  MemberRecord,
  NewAccessToken,
  NewProject,
  NewRunner,
  NewUser,
  ProjectRecord,
  ProjectStore,
  RunnerRecord,
  RunnerStore,
  UserRecord,
  UserStore,
} from "../types.js";
import { exec, one, rows, transaction } from "./pool.js";

/** `a = $n, b = $n+1, …` for assignments whose values start at placeholder `first`. */
export function setClause(set: Assignment[], first: number): string {
  return set.map((a, index) => `${a.column} = $${first + index}`).join(", ");
}

export class PgUsers implements UserStore {
  constructor(private readonly pool: pg.Pool) {}

  async create(user: NewUser, now: number): Promise<UserRecord> {
    const row = await translatingConflictsAsync(() =>
      one(
        this.pool,
        `INSERT INTO users (username, name, email, admin, created_at)
         VALUES ($1, $2, $3, $4, $5) RETURNING *`,
        user.username,
        user.name,
        user.email,
        user.admin,
        now,
      ),
    );
    return userFrom(row!);
  }

  async byId(id: number): Promise<UserRecord | undefined> {
    const row = await one(this.pool, "SELECT * FROM users WHERE id = $1", id);
    return row && userFrom(row);
  }

  async byUsername(username: string): Promise<UserRecord | undefined> {
    const row = await one(this.pool, "SELECT * FROM users WHERE username = $1", username);
    return row && userFrom(row);
  }

  async list(): Promise<UserRecord[]> {
    return (await rows(this.pool, "SELECT * FROM users ORDER BY id")).map(userFrom);
  }
}

export class PgAccessTokens implements AccessTokenStore {
  constructor(private readonly pool: pg.Pool) {}

  async create(token: NewAccessToken, now: number): Promise<AccessTokenRecord> {
    const row = await translatingConflictsAsync(() =>
      one(
        this.pool,
        `INSERT INTO access_tokens (user_id, name, digest, scopes, expires_at, revoked, created_at)
         VALUES ($1, $2, $3, $4, $5, false, $6) RETURNING *`,
        token.userId,
        token.name,
        token.digest,
        JSON.stringify(token.scopes),
        orNull(token.expiresAt),
        now,
      ),
    );
    return accessTokenFrom(row!);
  }

  async byDigest(digest: string): Promise<AccessTokenRecord | undefined> {
    const row = await one(this.pool, "SELECT * FROM access_tokens WHERE digest = $1", digest);
    return row && accessTokenFrom(row);
  }

  async revoke(id: number): Promise<void> {
    await exec(this.pool, "UPDATE access_tokens SET revoked = true WHERE id = $1", id);
  }
}

export class PgProjects implements ProjectStore {
  constructor(private readonly pool: pg.Pool) {}

  async create(project: NewProject, now: number): Promise<ProjectRecord> {
    const row = await translatingConflictsAsync(() =>
      one(
        this.pool,
        `INSERT INTO projects (path, name, description, default_branch, visibility, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
        project.path,
        project.name,
        project.description,
        project.defaultBranch,
        project.visibility,
        now,
      ),
    );
    return projectFrom(row!);
  }

  async byId(id: number): Promise<ProjectRecord | undefined> {
    const row = await one(this.pool, "SELECT * FROM projects WHERE id = $1", id);
    return row && projectFrom(row);
  }

  async byPath(path: string): Promise<ProjectRecord | undefined> {
    const row = await one(this.pool, "SELECT * FROM projects WHERE path = $1", path);
    return row && projectFrom(row);
  }

  async list(): Promise<ProjectRecord[]> {
    return (await rows(this.pool, "SELECT * FROM projects ORDER BY id")).map(projectFrom);
  }

  async update(
    id: number,
    change: Partial<Pick<ProjectRecord, "name" | "description" | "defaultBranch" | "visibility">>,
  ): Promise<ProjectRecord | undefined> {
    const set = assignments(change, PROJECT_COLUMNS);
    if (set.length === 0) return this.byId(id);
    const row = await one(
      this.pool,
      `UPDATE projects SET ${setClause(set, 2)} WHERE id = $1 RETURNING *`,
      id,
      ...set.map((a) => a.value),
    );
    return row && projectFrom(row);
  }

  /** Deletes the project with everything in it (pipelines, jobs, traces, settings…). */
  async delete(id: number): Promise<void> {
    // Job ids must not come back: remember the largest before the project's jobs go. One
    // statement, so both happen or neither.
    await exec(
      this.pool,
      `WITH high_water AS (
         UPDATE job_ids SET max_id = greatest(max_id, coalesce((SELECT max(id) FROM jobs), 0))
       )
       DELETE FROM projects WHERE id = $1`,
      id,
    );
  }

  async setMember(member: MemberRecord): Promise<void> {
    await exec(
      this.pool,
      `INSERT INTO members (project_id, user_id, access_level) VALUES ($1, $2, $3)
       ON CONFLICT (project_id, user_id) DO UPDATE SET access_level = excluded.access_level`,
      member.projectId,
      member.userId,
      member.accessLevel,
    );
  }

  async removeMember(projectId: number, userId: number): Promise<void> {
    await exec(
      this.pool,
      "DELETE FROM members WHERE project_id = $1 AND user_id = $2",
      projectId,
      userId,
    );
  }

  async member(projectId: number, userId: number): Promise<MemberRecord | undefined> {
    const row = await one(
      this.pool,
      "SELECT * FROM members WHERE project_id = $1 AND user_id = $2",
      projectId,
      userId,
    );
    return row && memberFrom(row);
  }

  async members(projectId: number): Promise<MemberRecord[]> {
    return (
      await rows(
        this.pool,
        "SELECT * FROM members WHERE project_id = $1 ORDER BY user_id",
        projectId,
      )
    ).map(memberFrom);
  }
}

export class PgRunners implements RunnerStore {
  constructor(private readonly pool: pg.Pool) {}

  async create(runner: NewRunner, now: number): Promise<RunnerRecord> {
    const projectIds = [...new Set(runner.projectIds)];
    return translatingConflictsAsync(() =>
      transaction(this.pool, async (client) => {
        const row = (await one(
          client,
          `INSERT INTO runners (token_digest, description, tags, run_untagged, locked, paused,
             runner_type, access_level, maximum_timeout, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *`,
          runner.tokenDigest,
          runner.description,
          JSON.stringify(runner.tags),
          runner.runUntagged,
          runner.locked,
          runner.paused,
          runner.runnerType,
          runner.accessLevel,
          orNull(runner.maximumTimeout),
          now,
        ))!;
        if (projectIds.length > 0) {
          await exec(
            client,
            `INSERT INTO runner_projects (runner_id, project_id, position)
             SELECT $1, project_id, position - 1
             FROM unnest($2::bigint[]) WITH ORDINALITY AS given (project_id, position)`,
            row.id,
            projectIds,
          );
        }
        return runnerFrom(row, projectIds);
      }),
    );
  }

  async byId(id: number): Promise<RunnerRecord | undefined> {
    const row = await one(this.pool, `${RUNNER_WITH_PROJECTS} WHERE r.id = $1`, id);
    return row && runnerWithProjects(row);
  }

  async byTokenDigest(digest: string): Promise<RunnerRecord | undefined> {
    const row = await one(this.pool, `${RUNNER_WITH_PROJECTS} WHERE r.token_digest = $1`, digest);
    return row && runnerWithProjects(row);
  }

  async list(): Promise<RunnerRecord[]> {
    return (await rows(this.pool, `${RUNNER_WITH_PROJECTS} ORDER BY r.id`)).map(runnerWithProjects);
  }

  async update(
    id: number,
    change: Partial<
      Pick<
        RunnerRecord,
        "description" | "tags" | "runUntagged" | "locked" | "paused" | "accessLevel" | "tokenDigest"
      >
    >,
  ): Promise<RunnerRecord | undefined> {
    const set = assignments(change, RUNNER_COLUMNS);
    if (set.length > 0) {
      await translatingConflictsAsync(() =>
        exec(
          this.pool,
          `UPDATE runners SET ${setClause(set, 2)} WHERE id = $1`,
          id,
          ...set.map((a) => a.value),
        ),
      );
    }
    return this.byId(id);
  }

  async touch(id: number, now: number, info?: Record<string, unknown>): Promise<void> {
    if (info === undefined) {
      await exec(this.pool, "UPDATE runners SET contacted_at = $2 WHERE id = $1", id, now);
    } else {
      await exec(
        this.pool,
        "UPDATE runners SET contacted_at = $2, info = $3 WHERE id = $1",
        id,
        now,
        JSON.stringify(info),
      );
    }
  }

  async delete(id: number): Promise<void> {
    await exec(this.pool, "DELETE FROM runners WHERE id = $1", id);
  }
}

/** A runner row with its project ids (in the order given) as `project_ids`. */
const RUNNER_WITH_PROJECTS = `SELECT r.*, coalesce(
    (SELECT array_agg(rp.project_id ORDER BY rp.position) FROM runner_projects rp
     WHERE rp.runner_id = r.id), '{}') AS project_ids
  FROM runners r`;

function runnerWithProjects(row: Row): RunnerRecord {
  return runnerFrom(row, (row.project_ids as unknown[]).map(Number));
}
