/**
 * Pipeline schedules' timing: is a cron expression or a time zone acceptable, and when does a
 * schedule next run. GitLab takes five-field cron (minute hour day-of-month month day-of-week,
 * with `L` and `#` and the `@daily`-style nicknames) read in the schedule's `cron_timezone`
 * (docs: ci/pipelines/schedules.md, api/pipeline_schedules.md). Zones are IANA names.
 *
 * Daylight saving time, as `cron-parser` (Luxon) computes it: a wall time that a spring change
 * skips runs at the same minute of the next hour (02:30 becomes 03:30), and one that an autumn
 * change repeats runs once, at its first occurrence.
 */
import { CronExpressionParser } from "cron-parser";

const NICKNAMES = new Set([
  "@yearly",
  "@annually",
  "@monthly",
  "@weekly",
  "@daily",
  "@midnight",
  "@hourly",
]);

/** True when the expression is five cron fields (or a nickname) that parse. */
export function isValidCron(cron: string): boolean {
  const text = cron.trim();
  const fields = text.split(/\s+/);
  const shaped =
    NICKNAMES.has(text.toLowerCase()) ||
    (fields.length === 5 && !/h/i.test(text.replace(/[a-z]{3}/gi, "")));
  if (!shaped) return false;
  try {
    CronExpressionParser.parse(text, { currentDate: 0, tz: "UTC" }).next();
    return true;
  } catch {
    return false;
  }
}

/** True for a time zone the runtime knows (an IANA name such as `Europe/Berlin`, or `UTC`). */
export function isValidTimezone(zone: string): boolean {
  if (zone.trim() === "") return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The first run strictly after `after` (epoch ms). Throws on an invalid expression or zone. */
export function nextRunAfter(cron: string, zone: string, after: number): number {
  const expression = CronExpressionParser.parse(cron.trim(), { currentDate: after, tz: zone });
  return expression.next().getTime();
}
