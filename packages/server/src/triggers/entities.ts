/**
 * Pipeline trigger tokens as GitLab's REST API shows them (docs: api/pipeline_triggers.md):
 * `id, description, created_at, last_used, token, updated_at, owner`. Only a token's digest is
 * stored, so the full token appears once, in the answer that created it; everywhere else the
 * token is GitLab's short form, the `glptt-` prefix and four characters (docs: "Trigger tokens
 * created by other users are shortened to four characters").
 */
import { userEntity } from "../http/entities.js";
import type { TriggerTokenRecord, UserRecord } from "../store/types.js";

export const TRIGGER_TOKEN_PREFIX = "glptt-";

/** What a list shows of a token: its prefix and first four characters. */
export function tokenHint(token: string): string {
  const prefix = token.startsWith(TRIGGER_TOKEN_PREFIX) ? TRIGGER_TOKEN_PREFIX : "";
  return token.slice(0, prefix.length + 4);
}

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

/** `fullToken`: only in the answer to the request that created the token. */
export function triggerEntity(
  trigger: TriggerTokenRecord,
  owner: UserRecord | undefined,
  serverUrl: string,
  fullToken?: string,
) {
  return {
    id: trigger.id,
    description: trigger.description,
    created_at: iso(trigger.createdAt),
    last_used: iso(trigger.lastUsedAt),
    token: fullToken ?? trigger.hint,
    // The store keeps no separate update time: a token's description never changes here.
    updated_at: iso(trigger.createdAt),
    owner: owner ? userEntity(owner, serverUrl) : null,
  };
}
