/**
 * What an inbound webhook delivery is, read from its headers and raw body: is it authentic,
 * which event it is, and for a push, which ref moved from which commit to which. Pure.
 *
 * Authenticity, per provider (every comparison constant-time):
 * - GitLab sends the hook's secret token as `X-Gitlab-Token` (docs.gitlab.com
 *   user/project/integrations/webhooks.md, "Validate payloads by using a secret token").
 * - GitHub signs the raw body: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256>` keyed with the
 *   secret (docs.github.com webhooks/using-webhooks/validating-webhook-deliveries).
 * - Gitea signs the raw body: `X-Gitea-Signature: <hex HMAC-SHA256>` (docs.gitea.com
 *   usage/webhooks, "Authorization header" / "X-Gitea-Signature").
 *
 * Events: GitLab `X-Gitlab-Event: Push Hook` / `Tag Push Hook` (docs: webhook_events.md), GitHub
 * `X-GitHub-Event: push` and `ping` (docs.github.com webhooks/webhook-events-and-payloads),
 * Gitea `X-Gitea-Event: push`. All three push payloads carry `ref`, `before` and `after`; a
 * deleted ref has `after` all zeros. GitHub and Gitea may deliver the JSON form-encoded as the
 * `payload` field instead of as the body.
 */
import { createHmac } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import type { InboundHookRecord } from "../store/types.js";
import { sameSecret } from "../util/tokens.js";

export type Provider = InboundHookRecord["provider"];
export const PROVIDERS: readonly Provider[] = ["gitlab", "github", "gitea"];

export function isAuthentic(
  provider: Provider,
  headers: IncomingHttpHeaders,
  body: Buffer,
  secret: string,
): boolean {
  switch (provider) {
    case "gitlab": {
      const token = single(headers["x-gitlab-token"]);
      return token !== undefined && sameSecret(token, secret);
    }
    case "github": {
      const signature = single(headers["x-hub-signature-256"]);
      if (signature === undefined || !signature.startsWith("sha256=")) return false;
      return sameSecret(signature.slice("sha256=".length).toLowerCase(), hmacHex(secret, body));
    }
    case "gitea": {
      const signature = single(headers["x-gitea-signature"]);
      return signature !== undefined && sameSecret(signature.toLowerCase(), hmacHex(secret, body));
    }
  }
}

/** The hex HMAC-SHA256 of the body keyed with the secret, as GitHub and Gitea compute it. */
export function hmacHex(secret: string, body: Buffer): string {
  return createHmac("sha256", secret).update(body).digest("hex");
}

export type DeliveryEvent = { kind: "push" | "ping" | "other"; name: string };

export function eventOf(provider: Provider, headers: IncomingHttpHeaders): DeliveryEvent {
  const header = { gitlab: "x-gitlab-event", github: "x-github-event", gitea: "x-gitea-event" }[
    provider
  ];
  const name = single(headers[header]) ?? "";
  const pushes: Record<Provider, string[]> = {
    gitlab: ["Push Hook", "Tag Push Hook"],
    github: ["push"],
    gitea: ["push"],
  };
  if (pushes[provider].includes(name)) return { kind: "push", name };
  if (provider === "github" && name === "ping") return { kind: "ping", name };
  return { kind: "other", name };
}

/** The JSON a delivery carries: the body itself, or its form-encoded `payload` field. */
export function payloadOf(contentType: string | undefined, body: Buffer): unknown {
  const text = body.toString("utf8");
  if ((contentType ?? "").toLowerCase().startsWith("application/x-www-form-urlencoded")) {
    const payload = new URLSearchParams(text).get("payload");
    if (payload === null) throw new SyntaxError("the form has no payload field");
    return JSON.parse(payload);
  }
  return JSON.parse(text);
}

export const ZERO_SHA = /^0+$/;

export interface PushFacts {
  /** The full ref, `refs/heads/…` or `refs/tags/…`. */
  ref: string;
  kind: "branch" | "tag";
  name: string;
  before: string;
  after: string;
  /** The push deleted the ref (`after` is all zeros). */
  deleted: boolean;
}

/** The pushed ref and commits, or why the payload is not a push this server can build. */
export function pushFactsOf(payload: unknown): PushFacts | { invalid: string } {
  if (typeof payload !== "object" || payload === null)
    return { invalid: "the payload is not a JSON object" };
  const { ref, before, after } = payload as Record<string, unknown>;
  if (typeof ref !== "string" || !isSafeRef(ref))
    return { invalid: "the payload's ref is not a branch or tag ref" };
  if (!isSha(before) || !isSha(after))
    return { invalid: "the payload's before/after are not commit SHAs" };
  const kind = ref.startsWith("refs/heads/") ? "branch" : "tag";
  const name = ref.slice(kind === "branch" ? "refs/heads/".length : "refs/tags/".length);
  return { ref, kind, name, before, after, deleted: ZERO_SHA.test(after) };
}

function isSha(value: unknown): value is string {
  return typeof value === "string" && /^([0-9a-f]{40}|[0-9a-f]{64})$/.test(value);
}

/**
 * A `refs/heads/…` or `refs/tags/…` name that is safe in a refspec: the rules of
 * `git check-ref-format` (no `..`, `@{`, control characters, space, `~^:?*[\`, no component
 * starting with `.` or ending with `.lock`, no `//`, no trailing `/` or `.`).
 */
export function isSafeRef(ref: string): boolean {
  const match = /^refs\/(heads|tags)\/(.+)$/.exec(ref);
  if (!match) return false;
  const name = match[2]!;
  if (name.length > 1024 || name === "@") return false;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0020\u007f~^:?*[\\]/.test(name) || name.includes("..") || name.includes("@{"))
    return false;
  if (name.endsWith("/") || name.endsWith(".")) return false;
  return name
    .split("/")
    .every((part) => part !== "" && !part.startsWith(".") && !part.endsWith(".lock"));
}

function single(value: string | string[] | undefined): string | undefined {
  return typeof value === "string" ? value : undefined;
}
