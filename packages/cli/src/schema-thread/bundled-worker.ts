/**
 * The schema thread's code as the installed command runs it (bundled as schema-thread.cjs): it
 * loads the checks from their own bundle, `schema-checks`, through V8's code cache, found where
 * the launcher found its own (workerData.bundles, an Io.bundles). A thread compiles its code
 * afresh like any process would, and the validator is large.
 */
import { parentPort, workerData } from "node:worker_threads";
import { type BundleLocation, openBundles } from "../launch/bundles.js";
import type { answerSchemaChecks } from "./checks.js";

const { bundles } = workerData as { bundles: BundleLocation };
const checks = openBundles(bundles).load("schema-checks");
const answer = checks.exports.answerSchemaChecks as typeof answerSchemaChecks;
// The cache is kept from the first check, before its answer, when the command may already end.
if (parentPort) answer(parentPort, () => checks.saveCache());
