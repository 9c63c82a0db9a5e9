/** Conveyor's version, as `conveyor --version` and the job logs ("Running with conveyor …") show it. */
export const CONVEYOR_VERSION = "0.1.0";
