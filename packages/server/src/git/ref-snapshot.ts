/**
 * The branches and tags of a repository at one moment (`git for-each-ref`), and what changed
 * between two such moments: how a push is seen, without a hook script inside the repository.
 */
import { ZERO_SHA } from "../pipelines/trigger.js";
import { git } from "./git-command.js";

export type RefKind = "branch" | "tag";

export interface RefName {
  kind: RefKind;
  name: string;
}

/** One branch or tag as for-each-ref shows it. */
export interface RefState {
  /** The object the ref points at (an annotated tag's own id for such tags). */
  object: string;
  /** The commit it leads to after peeling tags; undefined for a ref to a tree or blob. */
  commit?: string;
}

/** Full ref name (`refs/heads/main`) → state. */
export type RefSnapshot = Map<string, RefState>;

/** A pushed branch or tag; `before` is the zero SHA for a new ref. */
export interface RefUpdate {
  ref: RefName;
  before: string;
  after: string;
}

const PREFIXES: readonly [string, RefKind][] = [
  ["refs/heads/", "branch"],
  ["refs/tags/", "tag"],
];

// %00 separates fields; ref names cannot hold control characters, so lines separate refs.
const FORMAT =
  "--format=%(objectname)%00%(objecttype)%00%(*objectname)%00%(*objecttype)%00%(refname)";

/**
 * The repository's refs under `patterns` (default: all branches and tags). A pattern matches a
 * ref exactly or as a leading path (git-for-each-ref(1)), so callers wanting one ref check the
 * name. Tags of tags are peeled by a second question to git.
 */
export async function snapshotRefs(
  gitDir: string,
  patterns: readonly string[] = ["refs/heads/", "refs/tags/"],
): Promise<RefSnapshot> {
  const output = (await git(gitDir, ["for-each-ref", FORMAT, "--", ...patterns])).toString("utf8");
  const snapshot: RefSnapshot = new Map();
  for (const line of output.split("\n")) {
    if (line === "") continue;
    const [object = "", type, peeled = "", peeledType, name = ""] = line.split("\0");
    let commit: string | undefined;
    if (type === "commit") commit = object;
    else if (type === "tag" && peeledType === "commit") commit = peeled;
    else if (type === "tag" && peeledType === "tag") commit = await peelToCommit(gitDir, name);
    snapshot.set(name, commit === undefined ? { object } : { object, commit });
  }
  return snapshot;
}

async function peelToCommit(gitDir: string, fullName: string): Promise<string | undefined> {
  // The name came from for-each-ref, so it is an exact, existing ref: no DWIM surprises.
  try {
    const out = await git(gitDir, ["rev-parse", "--verify", "--quiet", `${fullName}^{commit}`]);
    return out.toString("utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}

/** `refs/heads/x` → branch x, `refs/tags/v1` → tag v1, anything else → undefined. */
export function refNameOf(fullName: string): RefName | undefined {
  for (const [prefix, kind] of PREFIXES) {
    if (fullName.startsWith(prefix) && fullName.length > prefix.length) {
      return { kind, name: fullName.slice(prefix.length) };
    }
  }
  return undefined;
}

/**
 * Created and moved branches and tags from `before` to `after`, as the commits they lead to.
 * Deleted refs are left out (a deletion starts no pipeline), and so are refs that lead to no
 * commit. Branches come before tags, each in name order.
 */
export function refUpdates(before: RefSnapshot, after: RefSnapshot): RefUpdate[] {
  const updates: RefUpdate[] = [];
  for (const [fullName, now] of after) {
    const ref = refNameOf(fullName);
    const was = before.get(fullName);
    if (!ref || now.commit === undefined || was?.object === now.object) continue;
    updates.push({ ref, before: was?.commit ?? ZERO_SHA, after: now.commit });
  }
  const rank = (update: RefUpdate) => (update.ref.kind === "branch" ? 0 : 1);
  return updates.sort(
    (a, b) => rank(a) - rank(b) || (a.ref.name < b.ref.name ? -1 : a.ref.name > b.ref.name ? 1 : 0),
  );
}
