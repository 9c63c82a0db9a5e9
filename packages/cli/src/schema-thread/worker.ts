/** The schema thread's code as the unbundled build runs it (the tests start it from here). */
import { parentPort } from "node:worker_threads";
import { answerSchemaChecks } from "./checks.js";

if (parentPort) answerSchemaChecks(parentPort);
