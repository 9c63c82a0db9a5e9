/** Inbound push webhooks from GitLab, GitHub and Gitea: the REST routes and the delivery endpoint. */
export { registerInboundHooks, type InboundHookDeps } from "./hook-api.js";
export { gitRefFetcher, type GitFetchOptions, type RefFetcher } from "./fetch-ref.js";
export {
  isAuthentic,
  eventOf,
  pushFactsOf,
  hmacHex,
  type Provider,
  type PushFacts,
} from "./deliveries.js";
