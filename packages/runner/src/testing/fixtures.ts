/**
 * Test helpers shared by the runner's tests and the executors' tests: a minimal job payload
 * and real git repositories in temp directories.
 */
import { execFileSync } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { JobPayload, JobStep, JobVariable } from "@conveyor/protocol";

export interface TestPayloadOptions {
  id?: number;
  script?: string[];
  afterScript?: string[];
  variables?: JobVariable[];
  repoUrl?: string;
  sha?: string;
  ref?: string;
  depth?: number;
  timeoutSeconds?: number;
  projectPath?: string;
  token?: string;
}

/** A job payload as the engine builds it, small enough to read in a test. */
export function testPayload(o: TestPayloadOptions = {}): JobPayload {
  const timeout = o.timeoutSeconds ?? 3600;
  const steps: JobStep[] = [
    {
      name: "script",
      script: o.script ?? ["echo hello"],
      timeout,
      when: "on_success",
      allow_failure: false,
    },
  ];
  if (o.afterScript) {
    steps.push({
      name: "after_script",
      script: o.afterScript,
      timeout,
      when: "always",
      allow_failure: true,
    });
  }
  const ref = o.ref ?? "main";
  const depth = o.depth ?? 20;
  const token = o.token ?? "glcbt-64_TestJobToken0123456789";
  return {
    id: o.id ?? 1,
    token,
    allow_git_fetch: true,
    job_info: {
      id: o.id ?? 1,
      name: "test",
      stage: "test",
      pipeline_id: 1,
      project_id: 7,
      project_name: "project",
      project_full_path: o.projectPath ?? "group/project",
    },
    git_info: {
      repo_url: o.repoUrl ?? "/nonexistent",
      ref,
      sha: o.sha ?? "0".repeat(40),
      before_sha: "0".repeat(40),
      ref_type: "branch",
      refspecs:
        depth === 0
          ? ["+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"]
          : [`+refs/heads/${ref}:refs/remotes/origin/${ref}`],
      depth,
    },
    runner_info: { timeout },
    variables: [
      { key: "CI_JOB_ID", value: String(o.id ?? 1), public: true },
      { key: "CI_JOB_TOKEN", value: token, public: false, masked: true },
      { key: "CI_PROJECT_PATH", value: o.projectPath ?? "group/project", public: true },
      ...(o.variables ?? []),
    ],
    steps,
    features: { trace_sections: true },
  };
}

/** Runs git and returns its trimmed stdout. */
export function git(cwd: string, ...args: string[]): string {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GIT_AUTHOR_NAME: "Test",
    GIT_AUTHOR_EMAIL: "test@example.com",
    GIT_COMMITTER_NAME: "Test",
    GIT_COMMITTER_EMAIL: "test@example.com",
  };
  delete env.GIT_DIR;
  delete env.GIT_WORK_TREE;
  delete env.GIT_INDEX_FILE;
  return execFileSync("git", args, {
    cwd,
    encoding: "utf8",
    env,
    stdio: ["ignore", "pipe", "pipe"],
  }).trim();
}

/** Writes files (path → content) under `dir`. */
export async function writeFiles(dir: string, files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    const full = join(dir, path);
    await mkdir(dirname(full), { recursive: true });
    await writeFile(full, content);
  }
}

/** Commits the files on the current branch; returns the new commit's sha. */
export async function commitFiles(
  dir: string,
  files: Record<string, string>,
  message = "commit",
): Promise<string> {
  await writeFiles(dir, files);
  git(dir, "add", "-A");
  git(dir, "commit", "-q", "-m", message);
  return git(dir, "rev-parse", "HEAD");
}

/** A new repository on branch `main` with one commit of `files`; returns its head sha. */
export async function createRepository(
  dir: string,
  files: Record<string, string>,
): Promise<string> {
  await mkdir(dir, { recursive: true });
  git(dir, "-c", "init.defaultBranch=main", "init", "-q");
  return commitFiles(dir, files, "initial");
}
