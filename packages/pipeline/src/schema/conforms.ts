/**
 * Whether a configuration conforms to GitLab's schema, and nothing else: the module a thread
 * that only checks configurations loads (`@conveyor/pipeline/schema-check`). The answer is the
 * one `validateSchema` starts from; the findings, when there are any, come from it.
 */
export { conforms as conformsToSchema } from "../../schema/ci-validator.js";
