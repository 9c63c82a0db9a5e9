/** SQLite stores of who and what: users, access tokens, projects with members, runners. */
import { assignments, PROJECT_COLUMNS, RUNNER_COLUMNS } from "../changes.js";
import { translatingConflicts } from "../conflicts.js";
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
import type { Statements } from "./database.js";

export class SqliteUsers implements UserStore {
  constructor(private readonly sql: Statements) {}

  async create(user: NewUser, now: number): Promise<UserRecord> {
    const row = translatingConflicts(() =>
      this.sql.one(
        `INSERT INTO users (username, name, email, admin, created_at)
         VALUES (?, ?, ?, ?, ?) RETURNING *`,
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
    const row = this.sql.one("SELECT * FROM users WHERE id = ?", id);
    return row && userFrom(row);
  }

  async byUsername(username: string): Promise<UserRecord | undefined> {
    const row = this.sql.one("SELECT * FROM users WHERE username = ?", username);
    return row && userFrom(row);
  }

  async list(): Promise<UserRecord[]> {
    return this.sql.all("SELECT * FROM users ORDER BY id").map(userFrom);
  }
}

export class SqliteAccessTokens implements AccessTokenStore {
  constructor(private readonly sql: Statements) {}

  async create(token: NewAccessToken, now: number): Promise<AccessTokenRecord> {
    const row = translatingConflicts(() =>
      this.sql.one(
        `INSERT INTO access_tokens (user_id, name, digest, scopes, expires_at, revoked, created_at)
         VALUES (?, ?, ?, ?, ?, 0, ?) RETURNING *`,
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
    const row = this.sql.one("SELECT * FROM access_tokens WHERE digest = ?", digest);
    return row && accessTokenFrom(row);
  }

  async revoke(id: number): Promise<void> {
    this.sql.run("UPDATE access_tokens SET revoked = 1 WHERE id = ?", id);
  }
}

export class SqliteProjects implements ProjectStore {
  constructor(private readonly sql: Statements) {}

  async create(project: NewProject, now: number): Promise<ProjectRecord> {
    const row = translatingConflicts(() =>
      this.sql.one(
        `INSERT INTO projects (path, name, description, default_branch, visibility, created_at)
         VALUES (?, ?, ?, ?, ?, ?) RETURNING *`,
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
    const row = this.sql.one("SELECT * FROM projects WHERE id = ?", id);
    return row && projectFrom(row);
  }

  async byPath(path: string): Promise<ProjectRecord | undefined> {
    const row = this.sql.one("SELECT * FROM projects WHERE path = ?", path);
    return row && projectFrom(row);
  }

  async list(): Promise<ProjectRecord[]> {
    return this.sql.all("SELECT * FROM projects ORDER BY id").map(projectFrom);
  }

  async update(
    id: number,
    change: Partial<Pick<ProjectRecord, "name" | "description" | "defaultBranch" | "visibility">>,
  ): Promise<ProjectRecord | undefined> {
    const set = assignments(change, PROJECT_COLUMNS);
    if (set.length === 0) return this.byId(id);
    const row = this.sql.one(
      `UPDATE projects SET ${set.map((a) => `${a.column} = ?`).join(", ")}
       WHERE id = ? RETURNING *`,
      ...set.map((a) => a.value),
      id,
    );
    return row && projectFrom(row);
  }

  /** Deletes the project with everything in it (pipelines, jobs, traces, settings…). */
  async delete(id: number): Promise<void> {
    const remove = this.sql.db.transaction(() => {
      // Job ids must not come back: remember the largest before the project's jobs go.
      this.sql.run(
        "UPDATE job_ids SET max_id = max(max_id, coalesce((SELECT max(id) FROM jobs), 0))",
      );
      this.sql.run("DELETE FROM projects WHERE id = ?", id);
    });
    remove.immediate();
  }

  async setMember(member: MemberRecord): Promise<void> {
    this.sql.run(
      `INSERT INTO members (project_id, user_id, access_level) VALUES (?, ?, ?)
       ON CONFLICT (project_id, user_id) DO UPDATE SET access_level = excluded.access_level`,
      member.projectId,
      member.userId,
      member.accessLevel,
    );
  }

  async removeMember(projectId: number, userId: number): Promise<void> {
    this.sql.run("DELETE FROM members WHERE project_id = ? AND user_id = ?", projectId, userId);
  }

  async member(projectId: number, userId: number): Promise<MemberRecord | undefined> {
    const row = this.sql.one(
      "SELECT * FROM members WHERE project_id = ? AND user_id = ?",
      projectId,
      userId,
    );
    return row && memberFrom(row);
  }

  async members(projectId: number): Promise<MemberRecord[]> {
    return this.sql
      .all("SELECT * FROM members WHERE project_id = ? ORDER BY user_id", projectId)
      .map(memberFrom);
  }
}

export class SqliteRunners implements RunnerStore {
  constructor(private readonly sql: Statements) {}

  async create(runner: NewRunner, now: number): Promise<RunnerRecord> {
    const insert = this.sql.db.transaction(() => {
      const row = this.sql.one(
        `INSERT INTO runners (token_digest, description, tags, run_untagged, locked, paused,
           runner_type, access_level, maximum_timeout, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
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
      )!;
      const projectIds = [...new Set(runner.projectIds)];
      projectIds.forEach((projectId, position) =>
        this.sql.run(
          "INSERT INTO runner_projects (runner_id, project_id, position) VALUES (?, ?, ?)",
          row.id,
          projectId,
          position,
        ),
      );
      return runnerFrom(row, projectIds);
    });
    return translatingConflicts(() => insert.immediate());
  }

  async byId(id: number): Promise<RunnerRecord | undefined> {
    const row = this.sql.one("SELECT * FROM runners WHERE id = ?", id);
    return row && this.withProjects(row);
  }

  async byTokenDigest(digest: string): Promise<RunnerRecord | undefined> {
    const row = this.sql.one("SELECT * FROM runners WHERE token_digest = ?", digest);
    return row && this.withProjects(row);
  }

  async list(): Promise<RunnerRecord[]> {
    const rows = this.sql.all("SELECT * FROM runners ORDER BY id");
    const projects = new Map<number, number[]>();
    for (const link of this.sql.all(
      "SELECT runner_id, project_id FROM runner_projects ORDER BY runner_id, position",
    )) {
      const runnerId = Number(link.runner_id);
      const list = projects.get(runnerId) ?? [];
      list.push(Number(link.project_id));
      projects.set(runnerId, list);
    }
    return rows.map((row) => runnerFrom(row, projects.get(Number(row.id)) ?? []));
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
      translatingConflicts(() =>
        this.sql.run(
          `UPDATE runners SET ${set.map((a) => `${a.column} = ?`).join(", ")} WHERE id = ?`,
          ...set.map((a) => a.value),
          id,
        ),
      );
    }
    return this.byId(id);
  }

  async touch(id: number, now: number, info?: Record<string, unknown>): Promise<void> {
    if (info === undefined) {
      this.sql.run("UPDATE runners SET contacted_at = ? WHERE id = ?", now, id);
    } else {
      this.sql.run(
        "UPDATE runners SET contacted_at = ?, info = ? WHERE id = ?",
        now,
        JSON.stringify(info),
        id,
      );
    }
  }

  async delete(id: number): Promise<void> {
    this.sql.run("DELETE FROM runners WHERE id = ?", id);
  }

  private withProjects(row: Row): RunnerRecord {
    const projectIds = this.sql
      .all("SELECT project_id FROM runner_projects WHERE runner_id = ? ORDER BY position", row.id)
      .map((link) => Number(link.project_id));
    return runnerFrom(row, projectIds);
  }
}
