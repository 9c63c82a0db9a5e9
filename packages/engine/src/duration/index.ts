export { type DurationUnit, parseDuration, type ParseDurationOptions } from "./chronic-duration.js";
