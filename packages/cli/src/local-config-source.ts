/**
 * A ConfigSource over a repository on disk: local includes from the working tree, templates
 * bundled with Conveyor, remote includes through an injected fetcher (or refused), and
 * project/component includes refused with a message saying why (they need a server).
 */
import { readFileSync } from "node:fs";
import { isAbsolute, join, normalize, relative } from "node:path";
import { builtinTemplate, type ConfigSource } from "@conveyor/pipeline";
import { getText } from "./http-get-text.js";
import { trustedCertificates } from "./launch/deferred-ca.js";

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
  // Read synchronously: a command reads a pipeline's files as fast as it can and has nothing
  // else to do meanwhile, and each asynchronous read costs the thread several callbacks (open,
  // stat, read, close), which add up over a pipeline of a hundred included files.
  const readIfExists = async (path: string | undefined) => {
    if (!path) return undefined;
    try {
      return readFileSync(path, "utf8");
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

export interface HttpFetcherOptions {
  timeoutMs?: number;
  maxBytes?: number;
  /**
   * NODE_EXTRA_CA_CERTS's file when bin/conveyor kept it from Node's start (Io.extraCaCertsFile):
   * read on the first fetch, and trusted besides Node's own roots.
   */
  extraCaCertsFile?: string | undefined;
  /** Where a warning goes (an extra certificates file that cannot be read). */
  warn?: (message: string) => void;
}

/** Fetches an http(s) URL with a timeout and a size cap; undefined for a 404. */
export function httpFetcher(options: HttpFetcherOptions = {}): RemoteFetcher {
  const { timeoutMs = 10_000, maxBytes = 1 << 20, extraCaCertsFile } = options;
  let ca: Promise<string[]> | undefined;
  const trusted = () =>
    extraCaCertsFile === undefined
      ? undefined
      : (ca ??= trustedCertificates(extraCaCertsFile, options.warn ?? (() => undefined)));
  return async (url) => {
    if (!/^https?:\/\//.test(url)) throw new Error(`remote include must be an http(s) URL: ${url}`);
    const certificates = url.startsWith("https:") ? await trusted() : undefined;
    const response = await getText(url, {
      timeoutMs,
      maxBytes,
      ...(certificates ? { ca: certificates } : {}),
    });
    if (response.status === 404) return undefined;
    if (response.status < 200 || response.status > 299) {
      throw new Error(`remote include ${url} answered HTTP ${response.status}`);
    }
    return response.text;
  };
}
