// Types of ci-validator.js, the module scripts/build-schema.mjs generates from ci.json.

/** Whether a document conforms to the schema; fast, and says nothing about why not. */
export declare const conforms: (data: unknown) => boolean;
/** sha256 (hex) of the ci.json the module was generated from. */
export declare const schemaSha256: string;
