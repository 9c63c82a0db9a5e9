/**
 * `@conveyor/executor-kubernetes/testing`: cluster helpers for tests in other packages (the CLI's
 * end-to-end tests of `--executor kubernetes`). Test code only; the main entry does not load it.
 */
export {
  clusterAvailable,
  createTestNamespace,
  K8S_ENV,
  labelledObjects,
  REQUIRE_K8S_ENV,
  SKIP_REASON,
  testKubeConfig,
  type TestNamespace,
  waitUntilGone,
} from "./cluster.js";
