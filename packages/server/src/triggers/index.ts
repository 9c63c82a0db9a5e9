/** Pipeline trigger tokens: the REST routes and the token entity. */
export { registerTriggerApi, type TriggerApiDeps } from "./trigger-api.js";
export { TRIGGER_TOKEN_PREFIX, tokenHint, triggerEntity } from "./entities.js";
