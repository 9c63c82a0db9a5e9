/**
 * Sees what a push changed: each receive-pack of a repository runs alone between two ref
 * snapshots, and the difference is reported to `onPush` once the client has its response —
 * in push order per repository, with a failing callback logged and never felt by the client.
 */
import type { ProjectRecord, UserRecord } from "../store/types.js";
import { KeyedSerial } from "../util/serial.js";
import { type RefUpdate, refUpdates, snapshotRefs } from "./ref-snapshot.js";

export type OnPush = (
  project: ProjectRecord,
  updates: RefUpdate[],
  user: UserRecord | undefined,
) => Promise<void>;

export class PushWatch {
  private readonly pushes = new KeyedSerial<number>();
  private readonly notices = new KeyedSerial<number>();
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly onPush: OnPush,
    private readonly log: (line: string) => void,
  ) {}

  /**
   * Runs `receive` (a whole receive-pack) with no other push of the project in between, and
   * answers the branches and tags it created or moved.
   */
  exclusive(
    project: ProjectRecord,
    gitDir: string,
    receive: () => Promise<void>,
  ): Promise<RefUpdate[]> {
    return this.pushes.run(project.id, async () => {
      const before = await snapshotRefs(gitDir);
      try {
        await receive();
      } catch (error) {
        this.log(`push to ${project.path} failed: ${describe(error)}`);
      }
      // Refs may have moved even when receive-pack failed half-way: look anyway.
      return refUpdates(before, await snapshotRefs(gitDir));
    });
  }

  /**
   * Calls `onPush` after `responded` settles and after earlier pushes' callbacks of the same
   * project. Must be called in push order (it is, from `exclusive`'s resolution).
   */
  notify(
    project: ProjectRecord,
    updates: RefUpdate[],
    user: UserRecord | undefined,
    responded: Promise<void>,
  ): void {
    if (updates.length === 0) return;
    const done = this.notices
      .run(project.id, async () => {
        await responded;
        await this.onPush(project, updates, user);
      })
      .catch((error: unknown) => {
        this.log(`push to ${project.path}: handling the pushed refs failed: ${describe(error)}`);
      });
    this.pending.add(done);
    void done.finally(() => this.pending.delete(done));
  }

  /** Waits for the callbacks already due. */
  async drain(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
