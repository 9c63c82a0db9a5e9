export { type FileVariable, removeFileVariables, writeFileVariables } from "./file-variables.js";
export {
  getSources,
  type GetSourcesOptions,
  type GetSourcesResult,
  remoteOf,
  type SourcesLog,
} from "./get-sources.js";
export {
  gitEnvironment,
  runGit,
  withoutRepositoryVariables,
  type GitOptions,
  type GitRun,
} from "./git-process.js";
export {
  type GitSettings,
  gitSettingsOf,
  type GitStrategy,
  type SubmoduleStrategy,
} from "./git-settings.js";
export { projectPathOf } from "./project-path.js";
export { overlayWorkingTree, type OverlayOptions, type OverlayResult } from "./working-tree.js";
