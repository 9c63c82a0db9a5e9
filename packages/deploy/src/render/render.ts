/**
 * Renders a resource set's source into an immutable version: the objects, validated and in
 * apply order, addressed by the digest of what went in and what came out.
 *
 * - `plain`: every `.yaml`, `.yml` and `.json` file (other files are ignored), placeholders
 *   filled (placeholders.ts), documents in file-path order;
 * - `kustomize`: the YAML files' placeholders are filled the same way, then
 *   `kubectl kustomize` builds the shallowest directory holding a kustomization;
 * - `helm`: `helm template` of the shallowest chart, `values` as `--set` pairs.
 */
import type { KubeObject, RenderedVersion, ResourceSetSource, SourceFile } from "../types.js";
import { canonicalJson, versionDigest } from "./digest.js";
import { objectsOf } from "./documents.js";
import { RenderError } from "./errors.js";
import { generatedDocuments } from "./generated.js";
import { type FilledDocument, fillYaml, fillYamlText } from "./placeholders.js";
import { sortForApply } from "./order.js";
import { helmTemplate, kustomize, safeRelativePath } from "./tools.js";

export interface RenderOptions {
  /** kubectl for `kubectl kustomize` (default: `kubectl` on PATH). */
  kubectl?: string;
  /** helm for `helm template` (default: `helm` on PATH). */
  helm?: string;
}

const YAML_FILE = /\.(?:ya?ml|json)$/i;
const DEFAULT_RELEASE = "conveyor";

/** The source as it is stored in the version: files sorted by path, values copied. */
export function normalizeSource(source: ResourceSetSource): ResourceSetSource {
  const files: SourceFile[] = source.files
    .map((file) => ({ path: safeRelativePath(file.path), content: file.content }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (let i = 1; i < files.length; i++) {
    if (files[i]?.path === files[i - 1]?.path) {
      throw new RenderError([{ file: files[i]?.path ?? "", message: "appears twice in the set" }]);
    }
  }
  const normalized: ResourceSetSource = { kind: source.kind, files, values: { ...source.values } };
  if (source.release) normalized.release = { ...source.release };
  return normalized;
}

async function documentsOf(
  source: ResourceSetSource,
  options: RenderOptions,
): Promise<FilledDocument[]> {
  switch (source.kind) {
    case "plain":
      return source.files
        .filter((file) => YAML_FILE.test(file.path))
        .flatMap((file) => fillYaml(file.content, source.values, file.path));
    case "kustomize": {
      const filled = source.files.map((file) =>
        /\.ya?ml$/i.test(file.path) || /(?:^|\/)Kustomization$/.test(file.path)
          ? { path: file.path, content: fillYamlText(file.content, source.values, file.path) }
          : file,
      );
      return generatedDocuments(
        await kustomize(filled, options.kubectl ?? "kubectl"),
        "kustomize output",
      );
    }
    case "helm": {
      const release = source.release ?? { name: DEFAULT_RELEASE };
      const text = await helmTemplate(source.files, source.values, release, options.helm ?? "helm");
      return generatedDocuments(text, "helm template");
    }
    default:
      throw new RenderError(
        `unknown render kind ${JSON.stringify((source as { kind: unknown }).kind)}`,
      );
  }
}

/** Renders a source into a version (throws RenderError naming file, line or document). */
export async function renderSource(
  source: ResourceSetSource,
  options: RenderOptions = {},
): Promise<RenderedVersion> {
  const normalized = normalizeSource(source);
  const located = objectsOf(await documentsOf(normalized, options));
  for (const { object, origin } of located) {
    try {
      canonicalJson(object);
    } catch (error) {
      throw new RenderError([
        {
          file: origin.file,
          document: origin.document,
          message: `holds a value JSON cannot represent (${(error as Error).message})`,
        },
      ]);
    }
  }
  const objects: KubeObject[] = sortForApply(located, ({ object }) => object).map(
    ({ object }) => object,
  );
  return { digest: versionDigest(normalized, objects), source: normalized, objects };
}
