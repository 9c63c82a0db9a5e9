/** The artifact stages' own error, in a module of its own so that it loads without them. */

/** A dependency's artifacts could not be fetched or extracted, or an upload failed. */
export class ArtifactError extends Error {
  override readonly name = "ArtifactError";
}
