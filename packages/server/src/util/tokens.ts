/**
 * Tokens the server hands out (personal access, runner, job tokens) and the digests it keeps
 * instead of them. GitLab's prefixes tell a token's kind at a glance: `glpat-` personal access
 * tokens, `glrt-` runner authentication tokens, `glcbt-` job tokens, `glptt-` pipeline trigger
 * tokens (docs: security/tokens/index.md, "Token prefixes").
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

export type TokenKind = "personal" | "runner" | "job" | "registration" | "trigger";

const PREFIXES: Record<TokenKind, string> = {
  personal: "glpat-",
  runner: "glrt-",
  job: "glcbt-",
  registration: "GR1348941",
  trigger: "glptt-",
};

/** A new random token of the kind: its prefix and 20 random bytes, URL-safe. */
export function newToken(kind: TokenKind): string {
  return PREFIXES[kind] + randomBytes(20).toString("base64url");
}

/** The SHA-256 digest stored in place of a token (hex). */
export function tokenDigest(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** Constant-time comparison of two secrets of any length. */
export function sameSecret(a: string, b: string): boolean {
  const left = createHash("sha256").update(a).digest();
  const right = createHash("sha256").update(b).digest();
  return timingSafeEqual(left, right);
}
