/**
 * Remembers the last `capacity` ids seen, oldest forgotten first: the dedup window for events.
 * Eviction goes through a ring of the ids in arrival order: asking a Set for its oldest entry after many
 * deletes walks over every hole they left, which made each add slower the longer a node ran.
 */
export class RecentIds {
  private readonly seen = new Set<string>();
  private readonly ring: (string | undefined)[];
  private head = 0;

  constructor(private readonly capacity = 16384) {
    this.ring = new Array<string | undefined>(capacity);
  }

  /** True when the id is among the remembered ones. */
  has(id: string): boolean {
    return this.seen.has(id);
  }

  /** True the first time an id is offered, false for a duplicate. */
  add(id: string): boolean {
    const before = this.seen.size;
    this.seen.add(id);
    if (this.seen.size === before) return false;
    const oldest = this.ring[this.head];
    if (oldest !== undefined) this.seen.delete(oldest);
    this.ring[this.head] = id;
    this.head = (this.head + 1) % this.capacity;
    return true;
  }
}
