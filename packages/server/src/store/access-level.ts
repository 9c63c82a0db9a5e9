/**
 * A user's role on a project as a number (GitLab's `Gitlab::Access`): the member's level,
 * Owner for administrators, 0 for everyone else. Every permission check starts here.
 */
import { ACCESS_LEVELS, type ProjectRecord, type Store, type UserRecord } from "./types.js";

export async function accessLevelOf(
  store: Store,
  project: ProjectRecord,
  user: UserRecord,
): Promise<number> {
  if (user.admin) return ACCESS_LEVELS.owner;
  return (await store.projects.member(project.id, user.id))?.accessLevel ?? 0;
}

/** Whether a caller with `level` on the project may see it and read its code (Reporter, or its visibility). */
export function readsCode(project: ProjectRecord, level: number, signedIn: boolean): boolean {
  if (project.visibility === "public") return true;
  if (project.visibility === "internal" && signedIn) return true;
  return level >= ACCESS_LEVELS.reporter;
}
