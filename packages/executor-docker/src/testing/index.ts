/**
 * `@conveyor/executor-docker/testing`: the engine and image helpers for tests in other packages
 * (the CLI's end-to-end tests of `conveyor run --executor docker`). Test code only; the package's
 * main entry does not load it.
 */
export {
  connectTestEngine,
  labelledResources,
  removeLabelledResources,
  type ResourceFilter,
  testPayload,
} from "./engine.js";
export {
  ensureBashImage,
  ensureBusyboxImage,
  ensureEntrypointImage,
  ensureHttpdImage,
  ensureTestImages,
  HTTPD_BODY,
  TEST_BASH_IMAGE,
  TEST_BUSYBOX_IMAGE,
  TEST_ENTRYPOINT_IMAGE,
  TEST_HTTPD_IMAGE,
} from "./images.js";
