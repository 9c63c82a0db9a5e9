/**
 * `resource_group`: one job at a time per group. A job that asks while the group is held
 * waits (`waiting_for_resource`); when the holder completes (success, failed, canceled or
 * skipped) the group goes to the job that has waited longest. GitLab leaves the order inside
 * one pipeline unspecified (`unordered`); first come, first served is one such order.
 * Sources: https://docs.gitlab.com/ci/resource_groups/ ; app/models/ci/resource_group.rb,
 * app/models/ci/processable.rb (enqueue → waiting_for_resource, release on completion).
 */
export class ResourceGroups {
  private readonly holders = new Map<string, number>();
  private readonly waiting = new Map<string, number[]>();

  /** Asks for `key` on behalf of attempt `id`; true when it is granted now. */
  request(key: string, id: number): boolean {
    if (!this.holders.has(key)) {
      this.holders.set(key, id);
      return true;
    }
    const queue = this.waiting.get(key) ?? [];
    queue.push(id);
    this.waiting.set(key, queue);
    return false;
  }

  /** Gives `key` up if `id` holds it; returns the attempt it goes to next, if any. */
  release(key: string, id: number): number | undefined {
    if (this.holders.get(key) !== id) return undefined;
    this.holders.delete(key);
    const next = this.waiting.get(key)?.shift();
    if (next !== undefined) this.holders.set(key, next);
    return next;
  }

  /** Takes a waiting attempt out of the queue (it was canceled). */
  withdraw(key: string, id: number): void {
    const queue = this.waiting.get(key);
    if (queue)
      this.waiting.set(
        key,
        queue.filter((waiting) => waiting !== id),
      );
  }

  holder(key: string): number | undefined {
    return this.holders.get(key);
  }
}
