/**
 * The variables that steer how the runner gets sources, read as gitlab-runner reads them
 * (`common/build.go` / `common/build_settings.go`: `GetGitStrategy`, `GetGitCheckout`,
 * `GetGitCleanFlags`, `GetGitFetchFlags`, `GetSubmoduleStrategy`, `GetSubmoduleDepth`,
 * `GetGetSourcesAttempts`). Docs: https://docs.gitlab.com/ci/runners/configure_runners/#git-strategy,
 * #git-checkout, #git-clean-flags, #git-fetch-extra-flags, #shallow-cloning (`GIT_DEPTH` arrives as
 * `git_info.depth`), #git-submodule-strategy, #job-stages-attempts. Pure.
 */
import type { JobPayload } from "@conveyor/protocol";
import { type JobVariables, parseBool, variableValue } from "../script/variables.js";

export type GitStrategy = "clone" | "fetch" | "none" | "empty";
export type SubmoduleStrategy = "none" | "normal" | "recursive";

export interface GitSettings {
  strategy: GitStrategy;
  /** `git_info.depth`; 0 fetches everything. */
  depth: number;
  checkout: boolean;
  /** `git clean` arguments; empty means no clean. */
  cleanFlags: string[];
  /** Extra `git fetch` arguments. */
  fetchFlags: string[];
  /** An unknown `GIT_SUBMODULE_STRATEGY` value is kept to fail get_sources as the runner does. */
  submoduleStrategy: SubmoduleStrategy | { invalid: string };
  submoduleDepth: number;
  submodulePaths: string[];
  submoduleUpdateFlags: string[];
  /** `GET_SOURCES_ATTEMPTS`, 1–10. */
  attempts: number;
}

function fields(value: string): string[] {
  return value.split(/\s+/).filter((f) => f !== "");
}

function strategyOf(value: string, allowFetch: boolean): GitStrategy {
  switch (value) {
    case "clone":
    case "fetch":
    case "none":
    case "empty":
      return value;
    default:
      return allowFetch ? "fetch" : "clone";
  }
}

function attemptsOf(value: string): number {
  if (!/^-?\d+$/.test(value.trim())) return 1;
  return Number.parseInt(value, 10);
}

export function gitSettingsOf(payload: JobPayload, variables: JobVariables): GitSettings {
  const value = (key: string) => variableValue(variables, key);
  const strategy = strategyOf(value("GIT_STRATEGY"), payload.allow_git_fetch);
  const withoutRepo = strategy === "none" || strategy === "empty";

  const checkoutValue = parseBool(value("GIT_CHECKOUT"));
  const checkout = withoutRepo ? false : (checkoutValue ?? true);

  const clean = value("GIT_CLEAN_FLAGS") || "-ffdx";
  const fetch = value("GIT_FETCH_EXTRA_FLAGS") || "--prune --quiet";

  const submoduleValue = value("GIT_SUBMODULE_STRATEGY");
  let submoduleStrategy: GitSettings["submoduleStrategy"];
  if (withoutRepo || submoduleValue === "" || submoduleValue === "none") submoduleStrategy = "none";
  else if (submoduleValue === "normal" || submoduleValue === "recursive") {
    submoduleStrategy = submoduleValue;
  } else submoduleStrategy = { invalid: submoduleValue };

  const submoduleDepthValue = value("GIT_SUBMODULE_DEPTH");
  const submoduleDepth = /^-?\d+$/.test(submoduleDepthValue)
    ? Number.parseInt(submoduleDepthValue, 10)
    : payload.git_info.depth;

  return {
    strategy,
    depth: payload.git_info.depth,
    checkout,
    cleanFlags: clean === "none" ? [] : fields(clean),
    fetchFlags: fetch === "none" ? [] : fields(fetch),
    submoduleStrategy,
    submoduleDepth,
    submodulePaths: fields(value("GIT_SUBMODULE_PATHS")),
    submoduleUpdateFlags: fields(value("GIT_SUBMODULE_UPDATE_FLAGS")),
    attempts: attemptsOf(value("GET_SOURCES_ATTEMPTS")),
  };
}
