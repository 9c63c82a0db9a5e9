/**
 * The build's bundles (scripts/bundle-cli.mjs): a folder holding `manifest.json`, which names
 * each bundle's file and a digest of its contents, and the bundles themselves. The launcher
 * loads each one through V8's code cache (cached-script.ts).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type LoadedBundle, loadCachedScript } from "./cached-script.js";

/** `manifest.json`: each bundle's file (in the same folder) and digest. */
export interface BundleManifest {
  bundles: Record<string, { file: string; digest: string }>;
}

/** Where the bundles are, and where their code caches are kept (undefined: no cache). */
export interface BundleLocation {
  dir: string;
  cacheDir: string | undefined;
  /** Tags the caches of a process started with V8 flags of its own (brief-commands.ts). */
  cacheVariant?: string | undefined;
}

export interface Bundles {
  /** Loads (runs) the bundle the manifest lists as `name`; an error when it lists none. */
  load(name: string): LoadedBundle;
  /** The bundles loaded so far, in order. */
  readonly loaded: readonly LoadedBundle[];
}

/** The bundles at `location`; the manifest is read now. */
export function openBundles(location: BundleLocation): Bundles {
  const manifestFile = join(location.dir, "manifest.json");
  const manifest = JSON.parse(readFileSync(manifestFile, "utf8")) as BundleManifest;
  const loaded: LoadedBundle[] = [];
  return {
    loaded,
    load(name) {
      const entry = manifest.bundles[name];
      if (!entry) throw new Error(`conveyor: ${manifestFile} lists no '${name}'`);
      const bundle = loadCachedScript({
        file: join(location.dir, entry.file),
        digest: entry.digest,
        cacheDir: location.cacheDir,
        variant: location.cacheVariant,
      });
      loaded.push(bundle);
      return bundle;
    },
  };
}
