/**
 * An inbound hook as the REST API shows it: where its deliveries go (`url`), which provider and
 * repository it stands for. The secret is never part of it, and a password in the clone URL is
 * masked.
 */
import type { InboundHookRecord } from "../store/types.js";
import { redactedCloneUrl } from "./clone-url.js";

export function deliveryPath(hookId: number): string {
  return `/api/v4/hooks/inbound/${hookId}`;
}

export function inboundHookEntity(hook: InboundHookRecord, serverUrl: string) {
  return {
    id: hook.id,
    project_id: hook.projectId,
    provider: hook.provider,
    clone_url: redactedCloneUrl(hook.cloneUrl),
    url: `${serverUrl}${deliveryPath(hook.id)}`,
    created_at: new Date(hook.createdAt).toISOString(),
  };
}
