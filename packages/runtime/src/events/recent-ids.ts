/** Remembers the last `capacity` ids seen, oldest forgotten first: the dedup window for events. */
export class RecentIds {
  private readonly seen = new Set<string>();

  constructor(private readonly capacity = 65536) {}

  /** True the first time an id is offered, false for a duplicate. */
  add(id: string): boolean {
    if (this.seen.has(id)) return false;
    this.seen.add(id);
    if (this.seen.size > this.capacity) {
      const oldest = this.seen.values().next().value as string;
      this.seen.delete(oldest);
    }
    return true;
  }
}
