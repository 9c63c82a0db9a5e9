/** Conveyor's coordinator: `startServer` assembles it; the rest is for tests and tools. */
export { type ConveyorServer, type ServerOptions, startServer } from "./server.js";
export { SecretBox } from "./secrets/secret-box.js";
export { newToken, tokenDigest } from "./util/tokens.js";
export type * from "./store/types.js";
export { openStore } from "./store/index.js";
export { RESTART_MESSAGE as DEPLOYMENT_RESTART_MESSAGE } from "./deploy/index.js";
