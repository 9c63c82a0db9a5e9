/**
 * What the schema thread does (thread.ts starts it): answers each configuration it is sent with
 * whether it conforms to GitLab's schema. It loads the schema's validator and nothing else.
 */
import type { MessagePort } from "node:worker_threads";
import { conformsToSchema } from "@conveyor/pipeline/schema-check";

/**
 * Answers the configurations posted to `port`. `beforeFirstAnswer` runs once, after the first
 * check and before its answer is posted (the bundled thread keeps its code cache then).
 */
export function answerSchemaChecks(
  port: Pick<MessagePort, "on" | "postMessage">,
  beforeFirstAnswer: () => void = () => undefined,
): void {
  let first = true;
  port.on("message", (config: unknown) => {
    const conforms = conformsToSchema(config);
    if (first) {
      first = false;
      beforeFirstAnswer();
    }
    port.postMessage(conforms);
  });
}
