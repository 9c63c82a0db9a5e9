/** Filesystem implementations of the runner's ArtifactStore and CacheStore ports. */
export { LocalArtifactStore, type StoredArtifact } from "./local-artifact-store.js";
export { LocalCacheStore } from "./local-cache-store.js";
