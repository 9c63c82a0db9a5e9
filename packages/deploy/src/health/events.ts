/** Formatting what a failed rollout leaves behind: Warning events and the tail of a log. */
import type { KubeObject } from "../types.js";
import { num, record, str } from "./fields.js";

export interface EventLine {
  at: string;
  text: string;
}

/** When an event was last seen (`series.lastObservedTime`, `lastTimestamp`, `eventTime`, creation). */
function lastSeen(event: KubeObject): string {
  return (
    str(record(event.series).lastObservedTime) ??
    str(event.lastTimestamp) ??
    str(event.eventTime) ??
    str(event.metadata.creationTimestamp) ??
    ""
  );
}

/**
 * The most recent Warning events, oldest first, as `pod/web-1 BackOff: Back-off restarting
 * failed container (x4)`; one line per distinct object, reason and message.
 */
export function warningLines(events: readonly KubeObject[], limit = 8): string[] {
  const byText = new Map<string, EventLine>();
  for (const event of events) {
    if (event.type !== "Warning") continue;
    const involved = record(event.involvedObject);
    const who = `${(str(involved.kind) ?? "object").toLowerCase()}/${str(involved.name) ?? "?"}`;
    const count = num(event.count, num(record(event.series).count, 1));
    const message = (str(event.message) ?? "").trim();
    const base = `${who} ${str(event.reason) ?? "Warning"}: ${message}`;
    const previous = byText.get(base);
    const at = lastSeen(event);
    if (!previous || previous.at <= at)
      byText.set(base, { at, text: count > 1 ? `${base} (x${count})` : base });
  }
  return [...byText.values()]
    .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0))
    .slice(-limit)
    .map((line) => line.text);
}

/** The last `count` non-empty lines of a log. */
export function tailLines(log: string, count = 20): string[] {
  return log
    .split("\n")
    .map((line) => line.replace(/\r$/, ""))
    .filter((line) => line.trim() !== "")
    .slice(-count);
}
