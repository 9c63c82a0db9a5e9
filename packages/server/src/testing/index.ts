/** Test kits of the server package (`@conveyor/server/testing`). */
export { createTestSchema, openTestStore, TEST_DATABASE_ENV, type TestStore } from "./stores.js";
export * from "./peers.js";
export * from "./server.js";
export { FakeDeployer } from "./fake-deployer.js";
