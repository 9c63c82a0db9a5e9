/**
 * The runner's `system_id`: a stable id for this host, created once and kept in
 * `.runner_system_id` next to the configuration file (runner-protocol.md §2 "system_id"). The
 * server keeps one runner manager per (runner, system_id). Format: `s_` + 12 hex characters
 * derived (HMAC-SHA256) from the OS machine id, or `r_` + 12 random alphanumerics when there is
 * no machine id.
 */
import { createHmac, randomInt } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";

const FILE_NAME = ".runner_system_id";
const VALID = /^[sr]_[0-9a-zA-Z]{12}$/;
const ALPHANUMERIC = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/** Where the id of the runner configured in `configFile` is kept. */
export function systemIdFile(configFile: string): string {
  return join(dirname(configFile), FILE_NAME);
}

async function machineId(): Promise<string | undefined> {
  for (const file of ["/etc/machine-id", "/var/lib/dbus/machine-id"]) {
    try {
      const id = (await readFile(file, "utf8")).trim();
      if (id !== "") return id;
    } catch {
      // try the next one
    }
  }
  return undefined;
}

/** A new id for this host. */
export async function newSystemId(): Promise<string> {
  const id = await machineId();
  if (id !== undefined) {
    // Keyed by the machine id so the raw id never leaves the host.
    return `s_${createHmac("sha256", id).update("conveyor-runner").digest("hex").slice(0, 12)}`;
  }
  let random = "r_";
  for (let i = 0; i < 12; i++) random += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)];
  return random;
}

/** The id stored next to `configFile`, created (and stored) when there is none. */
export async function loadSystemId(configFile: string): Promise<string> {
  const file = systemIdFile(configFile);
  try {
    const stored = (await readFile(file, "utf8")).trim();
    if (VALID.test(stored)) return stored;
  } catch {
    // none yet
  }
  const id = await newSystemId();
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, `${id}\n`, { mode: 0o600 });
  return id;
}
