import { RecentIds } from './recent-ids.js';

/** Length of the random prefix of a fabric id: `randomBytes(9).toString('base64url')`. */
const PREFIX = 12;
const DOT = 46;

/** A window of the last `bits` sequence numbers of one origin, relative to the highest seen. */
class Window {
  max: number;
  readonly words: Uint32Array;

  constructor(
    first: number,
    private readonly bits: number,
  ) {
    this.max = first;
    this.words = new Uint32Array(bits >>> 5);
    this.set(first);
  }

  private set(seq: number): void {
    const b = seq % this.bits;
    this.words[b >>> 5] = (this.words[b >>> 5] as number) | (1 << (b & 31));
  }

  private isSet(seq: number): boolean {
    const b = seq % this.bits;
    return ((this.words[b >>> 5] as number) & (1 << (b & 31))) !== 0;
  }

  /** Clears the bits of sequences `from`..`to` (inclusive), which the window is about to reuse. */
  private clear(from: number, to: number): void {
    if (to - from + 1 >= this.bits) {
      this.words.fill(0);
      return;
    }
    for (let s = from; s <= to;) {
      const b = s % this.bits;
      if ((b & 31) === 0 && to - s >= 31) {
        this.words[b >>> 5] = 0;
        s += 32;
      } else {
        this.words[b >>> 5] = (this.words[b >>> 5] as number) & ~(1 << (b & 31));
        s++;
      }
    }
  }

  /** Whether `seq` was seen; undefined when it is too old to know. */
  has(seq: number): boolean | undefined {
    if (seq > this.max) return false;
    if (this.max - seq >= this.bits) return undefined;
    return this.isSet(seq);
  }

  /** True the first time `seq` is offered; false for a duplicate; undefined when it is too old to know. */
  add(seq: number): boolean | undefined {
    if (seq > this.max) {
      this.clear(this.max + 1, seq);
      this.max = seq;
      this.set(seq);
      return true;
    }
    if (this.max - seq >= this.bits) return undefined;
    if (this.isSet(seq)) return false;
    this.set(seq);
    return true;
  }
}

/**
 * The dedup window of a node's fabric. A fabric id is `<12-character random prefix of its process>.<base 36
 * counter>`: for those, each origin process gets a bitmap of its last `windowBits` counters, so that checking an
 * id costs a small map lookup and a bit test instead of an insert and an eviction in a set of strings (the set
 * was the receive path's largest cost). Ids of another shape, and ids older than their origin's window, go to a
 * {@link RecentIds} ring of the last `fallbackCapacity` such ids. At most `maxOrigins` origins are tracked; the
 * oldest is forgotten first (a forgotten origin's next ids count as new).
 */
export class SeenIds {
  private readonly origins = new Map<string, Window>();
  private readonly fallback: RecentIds;

  constructor(
    private readonly windowBits = 16384,
    fallbackCapacity = 16384,
    private readonly maxOrigins = 4096,
  ) {
    if (windowBits % 32 !== 0 || windowBits < 32) throw new RangeError('windowBits must be a positive multiple of 32');
    this.fallback = new RecentIds(fallbackCapacity);
  }

  /** True when the id was offered before (and is still remembered). */
  has(id: string): boolean {
    const seq = fabricSeq(id);
    if (seq < 0) return this.fallback.has(id);
    const r = this.origins.get(id.slice(0, PREFIX))?.has(seq);
    return r === undefined ? this.fallback.has(id) : r;
  }

  /** True the first time an id is offered, false for a duplicate. */
  add(id: string): boolean {
    const seq = fabricSeq(id);
    if (seq < 0) return this.fallback.add(id);
    const origin = id.slice(0, PREFIX);
    let w = this.origins.get(origin);
    if (!w) {
      if (this.origins.size >= this.maxOrigins) {
        const oldest = this.origins.keys().next().value as string;
        this.origins.delete(oldest);
      }
      this.origins.set(origin, new Window(seq, this.windowBits));
      return this.fallback.has(id) ? false : true;
    }
    const r = w.add(seq);
    return r === undefined ? this.fallback.add(id) : r;
  }
}

/** The counter of a fabric id (`<12 chars>.<base 36>`), or -1 when the id has another shape. */
export function fabricSeq(id: string): number {
  const n = id.length;
  if (n < PREFIX + 2 || n > PREFIX + 11 || id.charCodeAt(PREFIX) !== DOT) return -1;
  let v = 0;
  for (let i = PREFIX + 1; i < n; i++) {
    const c = id.charCodeAt(i);
    let d: number;
    if (c >= 48 && c <= 57) d = c - 48;
    else if (c >= 97 && c <= 122) d = c - 87;
    else return -1;
    v = v * 36 + d;
  }
  // A leading zero would give two spellings of one counter ("0a" and "a"): not a fabric id.
  if (n > PREFIX + 2 && id.charCodeAt(PREFIX + 1) === 48) return -1;
  return v <= Number.MAX_SAFE_INTEGER ? v : -1;
}
