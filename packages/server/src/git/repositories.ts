/**
 * The projects' bare repositories on disk: `<root>/<projectId>.git`, named by id so that
 * renaming or moving a project never moves its repository.
 */
import { mkdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { ProjectRecord } from "../store/types.js";
import { git } from "./git-command.js";
import { isRefShortName } from "./ref-names.js";

export class Repositories {
  constructor(readonly root: string) {}

  /** Where the project's bare repository lives (whether or not it exists). */
  pathOf(projectId: number): string {
    if (!Number.isSafeInteger(projectId) || projectId < 1) {
      throw new Error(`not a project id: ${projectId}`);
    }
    return join(this.root, `${projectId}.git`);
  }

  async exists(projectId: number): Promise<boolean> {
    try {
      return (await stat(join(this.pathOf(projectId), "HEAD"))).isFile();
    } catch {
      return false;
    }
  }

  /**
   * Creates the bare repository, empty, with HEAD on the project's default branch and pushes
   * over HTTP enabled (`http.receivepack`, git-http-backend(1) "SERVICES"). Creating an
   * existing repository keeps its contents and only sets HEAD and the configuration again
   * (call it again after the project's default branch changed).
   */
  async create(project: ProjectRecord): Promise<string> {
    if (!isRefShortName(project.defaultBranch)) {
      throw new Error(`not a valid branch name: ${project.defaultBranch}`);
    }
    const path = this.pathOf(project.id);
    await mkdir(this.root, { recursive: true });
    await git(undefined, ["init", "--quiet", "--bare", path]);
    await git(path, ["symbolic-ref", "HEAD", `refs/heads/${project.defaultBranch}`]);
    await git(path, ["config", "http.receivepack", "true"]);
    // As GitLab's Gitaly serves fetches: partial clones, and any commit asked for by id
    // (a runner fetches its job's commit when the refs did not bring it), also under protocol v0.
    await git(path, ["config", "uploadpack.allowFilter", "true"]);
    await git(path, ["config", "uploadpack.allowAnySHA1InWant", "true"]);
    return path;
  }

  /** Deletes the repository and everything in it; a missing repository is not an error. */
  async remove(projectId: number): Promise<void> {
    await rm(this.pathOf(projectId), { recursive: true, force: true });
  }
}
