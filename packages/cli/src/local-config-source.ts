/**
 * A ConfigSource over a repository on disk: local includes from the working tree, templates
 * bundled with Conveyor, remote includes through an injected fetcher (or refused), and
 * project/component includes refused with a message saying why (they need a server).
 */
import { readFile } from "node:fs/promises";
import { isAbsolute, join, normalize, relative } from "node:path";
import { builtinTemplate, type ConfigSource } from "@conveyor/pipeline";

export type RemoteFetcher = (url: string) => Promise<string | undefined>;

export interface LocalSourceOptions {
  root: string;
  files: readonly string[];
  /** undefined: remote includes are disabled. */
  fetchRemote?: RemoteFetcher;
}

export function localConfigSource(options: LocalSourceOptions): ConfigSource {
  const inside = (base: string, path: string): string | undefined => {
    const full = normalize(join(base, path));
    const rel = relative(base, full);
    return rel.startsWith("..") || isAbsolute(rel) ? undefined : full;
  };
  const readIfExists = async (path: string | undefined) => {
    if (!path) return undefined;
    try {
      return await readFile(path, "utf8");
    } catch (error) {
      if (
        (error as NodeJS.ErrnoException).code === "ENOENT" ||
        (error as NodeJS.ErrnoException).code === "EISDIR"
      ) {
        return undefined;
      }
      throw error;
    }
  };
  return {
    readLocal: (path) => readIfExists(inside(options.root, path.replace(/^\/+/, ""))),
    listLocal: async () => options.files,
    readTemplate: async (name) => builtinTemplate(name),
    readRemote: async (url) => {
      if (!options.fetchRemote) throw new Error(`remote includes are disabled (${url})`);
      return options.fetchRemote(url);
    },
    readProject: async (project) => {
      throw new Error(
        `include:project (${project}) needs a Conveyor server; it cannot be read from a local checkout`,
      );
    },
    readComponent: async (address) => {
      throw new Error(
        `include:component (${address}) needs a Conveyor server; it cannot be read from a local checkout`,
      );
    },
  };
}

/** Fetches an https URL with a timeout and a size cap; undefined for a 404. */
export function httpFetcher(timeoutMs = 10_000, maxBytes = 1 << 20): RemoteFetcher {
  return async (url) => {
    if (!/^https?:\/\//.test(url)) throw new Error(`remote include must be an http(s) URL: ${url}`);
    const response = await fetch(url, {
      signal: AbortSignal.timeout(timeoutMs),
      redirect: "follow",
    });
    if (response.status === 404) return undefined;
    if (!response.ok) throw new Error(`remote include ${url} answered HTTP ${response.status}`);
    const text = await response.text();
    if (text.length > maxBytes)
      throw new Error(`remote include ${url} is larger than ${maxBytes} bytes`);
    return text;
  };
}
