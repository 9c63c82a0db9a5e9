export * from "./duration/index.js";
export * from "./payload/index.js";
export * from "./state/index.js";
