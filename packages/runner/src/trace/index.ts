export * from "./ansi.js";
export { JobTrace, type JobTraceOptions } from "./job-trace.js";
export {
  errorText,
  infoLine,
  noticeText,
  plainLine,
  runningWithLine,
  sectionEnd,
  sectionStart,
  stageDescription,
  stageHeader,
  stageTimeoutWarning,
  TIMEOUTS_DOCS_URL,
  warningText,
} from "./log-format.js";
export { DEFAULT_TOKEN_PREFIXES, StreamMasker } from "./masker.js";
