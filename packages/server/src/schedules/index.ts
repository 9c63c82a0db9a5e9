/** Pipeline schedules: the REST routes, the Scheduler that runs due schedules, cron timing. */
export { registerScheduleApi, type ScheduleApiDeps } from "./schedule-api.js";
export { type ScheduledTask, Scheduler, type SchedulerOptions } from "./scheduler.js";
export { isValidCron, isValidTimezone, nextRunAfter } from "./cron.js";
export { runSchedule } from "./run-schedule.js";
