/**
 * One run of a pipeline schedule, shared by the Scheduler and `POST …/play`: the pipeline starts
 * at the schedule's ref with source `schedule` and the schedule's variables, as the schedule's
 * owner. The owner must still be a Developer of the project, or nothing starts (docs:
 * ci/pipelines/schedules.md "Prerequisites": "The schedule owner must have the Developer role").
 * Writes nothing: callers record what they need.
 */
import { accessLevelOf } from "../http/project-access.js";
import type { PipelineStarter, StartOutcome } from "../pipelines/starter.js";
import { ACCESS_LEVELS, type ScheduleRecord, type Store } from "../store/types.js";

export interface ScheduleRunDeps {
  store: Store;
  starter: PipelineStarter;
}

export async function runSchedule(
  deps: ScheduleRunDeps,
  schedule: ScheduleRecord,
): Promise<StartOutcome> {
  const { store } = deps;
  const project = await store.projects.byId(schedule.projectId);
  if (!project) return { error: "the schedule's project no longer exists" };
  const owner = await store.users.byId(schedule.ownerId);
  if (!owner || (await accessLevelOf(store, project, owner)) < ACCESS_LEVELS.developer) {
    return { error: "the schedule's owner is not a Developer of the project" };
  }
  const variables: Record<string, string> = {};
  for (const variable of schedule.variables) variables[variable.key] = variable.value;
  return deps.starter.start(project, {
    // A full `refs/heads/…`/`refs/tags/…` ref is passed on as it is: the starter resolves both.
    ref: schedule.ref,
    source: "schedule",
    variables,
    user: owner,
  });
}
