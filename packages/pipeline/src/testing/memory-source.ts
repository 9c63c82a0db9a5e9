/** A ConfigSource over an in-memory set of files: the fake for tests of the pipeline language. */
import type { ConfigSource } from "../config-source.js";

export interface MemorySourceFiles {
  local?: Record<string, string>;
  templates?: Record<string, string>;
  remote?: Record<string, string>;
  projects?: Record<string, string>;
  components?: Record<string, string>;
}

export function memorySource(files: MemorySourceFiles): ConfigSource {
  const local = files.local ?? {};
  return {
    readLocal: async (path) => local[path.replace(/^\/+/, "")],
    listLocal: async () => Object.keys(local).sort(),
    readTemplate: async (name) => files.templates?.[name],
    readRemote: async (url) => {
      if (!files.remote) throw new Error(`remote includes are disabled (${url})`);
      return files.remote[url];
    },
    readProject: async (project, file, ref) =>
      files.projects?.[`${project}@${ref ?? "HEAD"}:${file}`],
    readComponent: async (address) => files.components?.[address],
  };
}
