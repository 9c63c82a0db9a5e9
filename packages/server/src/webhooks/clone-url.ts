/**
 * Which clone URLs an inbound hook may fetch from, and how they are shown. Network URLs
 * (`https`, `http`, `ssh`, `git`, and scp-like `user@host:path`) are accepted; local ones
 * (`file://` URLs and absolute paths) only when the server allows them, since they would let a
 * maintainer copy any repository on the server's disk, other projects' included. Nothing that
 * git could read as an option (a leading `-`) or that holds whitespace is accepted. Passwords in
 * a URL are never shown.
 */

const NETWORK_SCHEMES = new Set(["https:", "http:", "ssh:", "git:"]);

export function isAcceptableCloneUrl(url: string, allowLocal: boolean): boolean {
  // eslint-disable-next-line no-control-regex
  if (url === "" || url.startsWith("-") || /[\u0000-\u0020\u007f]/.test(url)) return false;
  if (/^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^/].*$/.test(url) && !url.includes("://")) return true;
  if (url.startsWith("/")) return allowLocal;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol === "file:") return allowLocal;
  return (
    NETWORK_SCHEMES.has(parsed.protocol) &&
    parsed.hostname !== "" &&
    !parsed.hostname.startsWith("-")
  );
}

/** The URL with any password replaced by `*****`. */
export function redactedCloneUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password === "") return url;
    parsed.password = "*****";
    return parsed.toString();
  } catch {
    return url;
  }
}
