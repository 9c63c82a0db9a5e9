/**
 * `environment:auto_stop_in` as the environment's `auto_stop_at` (docs: ci/yaml,
 * https://docs.gitlab.com/ci/yaml/#environmentauto_stop_in): a period in natural language, read
 * as GitLab reads every duration (`1 day`, `30 minutes`, `one week`, `168 hours`), counted from
 * the moment the environment is created or deployed; `never` removes the scheduled stop.
 */
import { parseDuration } from "@conveyor/engine";
import type { EnvironmentChange } from "../store/types.js";

/**
 * The environment change `autoStopIn` makes at `now`: `autoStopAt` set, cleared (`never`), or
 * no change at all (no value, or one that is not a duration).
 */
export function autoStopChange(
  autoStopIn: string | undefined,
  now: number,
): Pick<EnvironmentChange, "autoStopAt"> {
  if (autoStopIn === undefined) return {};
  if (autoStopIn.trim().toLowerCase() === "never") return { autoStopAt: undefined };
  const seconds = parseDuration(autoStopIn);
  return seconds === undefined || seconds <= 0 ? {} : { autoStopAt: now + seconds * 1000 };
}
