/**
 * Cache keys, pure.
 *
 * The server composes the key it sends (prefix, files digest, protection suffix): that is the
 * engine's payload builder (packages/engine/src/payload/cache.ts). Here: the digest of
 * `key:files` ids (SHA-1 of the sorted, de-duplicated ids joined by `-`), the config check of a
 * key and the runner's sanitizing.
 * Config validation (lib/gitlab/config/entry/validators.rb KeyValidator): a key, URL-decoded,
 * may not contain `/` nor be `.` or `..`.
 *
 * Runner side (shells/abstract.go sanitizeCacheKey): `%2F`/`%2E` decoded, `\` turned into `/`,
 * the path cleaned and rooted so it cannot climb out, trailing blanks of the last element and
 * empty elements dropped; a change is reported as a warning.
 * Docs: https://docs.gitlab.com/ci/yaml/#cachekey , https://docs.gitlab.com/ci/caching/
 */
import { createHash } from "node:crypto";

/**
 * GitLab's digest for `key:files`/`key:files_commits`: SHA-1 of the ids, missing ones dropped,
 * sorted and de-duplicated, joined by `-`; undefined when there is none.
 */
export function digestFromHashes(ids: (string | null | undefined)[]): string | undefined {
  const unique = [...new Set(ids.filter((id): id is string => typeof id === "string"))].sort();
  if (unique.length === 0) return undefined;
  return createHash("sha1").update(unique.join("-")).digest("hex");
}

/** Ruby's CGI.unescape: `+` is a space, `%XX` a byte, the result read as UTF-8. */
function cgiUnescape(value: string): string {
  const bytes: number[] = [];
  const raw = Buffer.from(value.replace(/\+/g, " "), "utf8");
  for (let i = 0; i < raw.length; i++) {
    const hex = raw.subarray(i + 1, i + 3).toString("latin1");
    if (raw[i] === 0x25 && /^[0-9a-fA-F]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(raw[i]!);
    }
  }
  return Buffer.from(bytes).toString("utf8");
}

/**
 * GitLab's configuration check of a `cache:key` string (as written in the YAML): the error
 * text after `<location> config ` (e.g. `cache:key config cannot contain the "/" character`),
 * or undefined when the key is acceptable.
 */
export function validateCacheKey(key: string): string | undefined {
  const path = cgiUnescape(key);
  if (path.includes("/")) return 'cannot contain the "/" character';
  if (path === "." || path === "..") return 'cannot be "." or ".."';
  return undefined;
}

/** Go's %q for the strings the runner quotes in its warnings. */
export function goQuote(value: string): string {
  return JSON.stringify(value);
}

/** Go's path.Clean, for rooted paths. */
function cleanRooted(p: string): string {
  const out: string[] = [];
  for (const seg of p.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") out.pop();
    else out.push(seg);
  }
  return `/${out.join("/")}`;
}

export interface SanitizedKey {
  /** The key the runner uses; empty when nothing usable is left. */
  key: string;
  /** The runner's warning when the key changed or could not be sanitized. */
  warning?: string;
}

/** The runner's sanitizeCacheKey (applied to every key before use, unless keys are hashed). */
export function sanitizeCacheKey(cacheKey: string): SanitizedKey {
  if (cacheKey === "") return { key: "" };
  const decoded = cacheKey
    .replace(/%2[eE]/g, ".")
    .replace(/%2[fF]/g, "/")
    .replace(/\\/g, "/");
  let cleaned = cleanRooted(`/${decoded}`);
  let key = "";
  while (cleaned !== "") {
    const cut = cleaned.lastIndexOf("/");
    const dir = cleaned.slice(0, cut + 1);
    const file = cleaned.slice(cut + 1).replace(/[\s\u0085]+$/u, "");
    if (file === "") {
      cleaned = dir.slice(0, -1);
      continue;
    }
    const parent = dir.slice(1);
    key = parent === "" ? file : cleanRooted(`/${parent}${file}`).slice(1);
    break;
  }
  if (key === "")
    return { key: "", warning: `cache key ${goQuote(cacheKey)} could not be sanitized` };
  if (key !== cacheKey) {
    return { key, warning: `cache key ${goQuote(cacheKey)} sanitized to ${goQuote(key)}` };
  }
  return { key };
}
