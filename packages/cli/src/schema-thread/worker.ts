/**
 * The schema thread's code (thread.ts starts it): answers each configuration it is sent with
 * whether it conforms to GitLab's schema. It loads the schema's validator and nothing else.
 */
import { parentPort } from "node:worker_threads";
import { conformsToSchema } from "@conveyor/pipeline/schema-check";

parentPort?.on("message", (config: unknown) => {
  parentPort?.postMessage(conformsToSchema(config));
});
