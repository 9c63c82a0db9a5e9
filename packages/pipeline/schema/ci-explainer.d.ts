// Types of ci-explainer.js, the module scripts/build-schema.mjs generates from ci.json.

/** One raw error as Ajv reports it (the fields Conveyor reads). */
export interface RawSchemaError {
  /** JSON Pointer into the validated document, e.g. `/build/script/0`. */
  instancePath: string;
  /** Where in the schema the failing keyword is, relative to the compiled function. */
  schemaPath: string;
  keyword: string;
  params: Readonly<Record<string, unknown>>;
  message?: string;
  /** The failing keyword's value (generated with `verbose`): for `oneOf`, its alternatives. */
  schema?: unknown;
}

export interface CompiledSchemaValidator {
  (data: unknown): boolean;
  /** Set after each call: the errors of the last invalid document, or null. */
  errors?: RawSchemaError[] | null;
}

export declare const validate: CompiledSchemaValidator;
/** ci.json itself, as the generated code holds it. */
export declare const rootSchema: Readonly<Record<string, unknown>>;
/** sha256 (hex) of the ci.json the module was generated from. */
export declare const schemaSha256: string;
export default validate;
