/**
 * NODE_EXTRA_CA_CERTS, kept from Node's start by bin/conveyor and trusted only when needed.
 *
 * Node 20 reads and parses the certificates that NODE_EXTRA_CA_CERTS names as every process
 * starts, and builds its store of trusted roots with them: tens of milliseconds, a large share of
 * a `conveyor lint` or `conveyor plan`. Node 22 and later wait until a TLS connection needs them.
 * For lint and plan, which connect only to fetch a remote include, bin/conveyor starts Node with
 * the variable moved to CONVEYOR_EXTRA_CA_CERTS; here it is put back (the processes the command
 * starts see it as the user set it), and a connection the command opens itself trusts Node's own
 * roots and those certificates (`trustedCertificates`), as Node would have made it.
 */
import { readFileSync } from "node:fs";

/** Where bin/conveyor moves NODE_EXTRA_CA_CERTS to. */
export const DEFERRED_CA_CERTS = "CONVEYOR_EXTRA_CA_CERTS";

/**
 * Puts NODE_EXTRA_CA_CERTS back into `env` when bin/conveyor moved it, and returns the file it
 * names (undefined when nothing was moved, or the variable was empty, which Node ignores too).
 */
export function takeDeferredCaCerts(env: Record<string, string | undefined>): string | undefined {
  const file = env[DEFERRED_CA_CERTS];
  if (file === undefined) return undefined;
  delete env[DEFERRED_CA_CERTS];
  env.NODE_EXTRA_CA_CERTS = file;
  return file === "" ? undefined : file;
}

/**
 * The certificates a connection trusts when Node was started without NODE_EXTRA_CA_CERTS's
 * `file`: Node's own roots and the file's. A file that cannot be read is reported through
 * `warn` and left out, as Node does at its start ("Ignoring extra certs from …").
 */
export async function trustedCertificates(
  file: string,
  warn: (message: string) => void,
): Promise<string[]> {
  // node:tls is loaded when a connection needs it, not as the launcher starts.
  const { rootCertificates } = await import("node:tls");
  try {
    return [...rootCertificates, readFileSync(file, "utf8")];
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    warn(`Warning: Ignoring extra certs from \`${file}\`, load failed: ${reason}`);
    return [...rootCertificates];
  }
}
