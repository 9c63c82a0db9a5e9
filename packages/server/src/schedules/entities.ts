/**
 * Pipeline schedules and their variables as GitLab's REST API shows them (docs:
 * api/pipeline_schedules.md): `id, description, ref, cron, cron_timezone, next_run_at, active,
 * created_at, updated_at, owner, last_pipeline`, and `variables` on a single schedule for those
 * allowed to read them. Pure functions of the records.
 */
import { userEntity } from "../http/entities.js";
import type { PipelineRecord, ProjectRecord, ScheduleRecord, UserRecord } from "../store/types.js";

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

type ScheduleVariable = ScheduleRecord["variables"][number];

export function scheduleVariableEntity(variable: ScheduleVariable) {
  return { key: variable.key, variable_type: variable.variableType, value: variable.value };
}

export interface ScheduleView {
  schedule: ScheduleRecord;
  project: ProjectRecord;
  owner: UserRecord | undefined;
  lastPipeline: PipelineRecord | undefined;
  serverUrl: string;
  /** Show the variables (a single schedule, to its owner or a maintainer). */
  withVariables: boolean;
}

export function scheduleEntity(view: ScheduleView) {
  const { schedule, lastPipeline, serverUrl } = view;
  return {
    id: schedule.id,
    description: schedule.description,
    ref: schedule.ref,
    cron: schedule.cron,
    cron_timezone: schedule.cronTimezone,
    // An inactive schedule has no next run.
    next_run_at: schedule.active ? iso(schedule.nextRunAt) : null,
    active: schedule.active,
    created_at: iso(schedule.createdAt),
    updated_at: iso(schedule.updatedAt),
    owner: view.owner ? userEntity(view.owner, serverUrl) : null,
    last_pipeline: lastPipeline
      ? {
          id: lastPipeline.id,
          iid: lastPipeline.iid,
          project_id: lastPipeline.projectId,
          sha: lastPipeline.sha,
          ref: lastPipeline.ref,
          status: lastPipeline.status,
          source: lastPipeline.source,
          created_at: iso(lastPipeline.createdAt),
          updated_at: iso(lastPipeline.updatedAt),
          web_url: `${serverUrl}/${view.project.path}/-/pipelines/${lastPipeline.id}`,
        }
      : null,
    ...(view.withVariables ? { variables: schedule.variables.map(scheduleVariableEntity) } : {}),
  };
}
