/** One second of traffic through this control plane, as the flow view charts it. */
export interface FlowSample {
  /** Unix ms at the end of the second. */
  t: number;
  /** Events per second that arrived from edges (Up). */
  up: number;
  /** Events per second sent to edges (Down). */
  down: number;
  /** Edge payloads handled per second (a receiver returned true). */
  payloads: number;
  /** Payload offers per second (first offers and retries). */
  offers: number;
  /** Payloads dead-lettered per second. */
  deadLetters: number;
  /** Mean dispatch latency of the payloads handled in that second, in ms (0 when none). */
  latencyMs: number;
  /** The largest dispatch latency seen in that second, in ms. */
  latencyMaxMs: number;
}

/** What a sample is read from: counters that only ever rise. */
export interface FlowSources {
  events: Readonly<{ received: number; sent: number }>;
  dispatch: Readonly<{ handled: number; offered: number; deadLettered: number }>;
}

/**
 * Samples the control plane's counters once a second into a ring of the last `keep` seconds. Reads plain
 * numbers only: nothing is added to the hot paths but {@link FlowSampler.latency} once per payload handled.
 */
export class FlowSampler {
  private readonly ring: FlowSample[] = [];
  private last: { up: number; down: number; payloads: number; offers: number; deadLetters: number; t: number };
  private latSum = 0;
  private latCount = 0;
  private latMax = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly src: FlowSources,
    private readonly keep = 600,
  ) {
    this.last = this.read(Date.now());
  }

  /** Starts sampling; `onSample` is told each new sample. */
  start(onSample: (s: FlowSample) => void, everyMs = 1000): void {
    this.timer = setInterval(() => onSample(this.sample(Date.now())), everyMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Records one payload's dispatch latency (seconds, as the dispatcher reports it). */
  latency(seconds: number): void {
    const ms = seconds * 1000;
    this.latSum += ms;
    this.latCount++;
    if (ms > this.latMax) this.latMax = ms;
  }

  /** The samples kept, oldest first. */
  history(): FlowSample[] {
    return [...this.ring];
  }

  /** Takes a sample now (the timer calls this; tests may too). */
  sample(now: number): FlowSample {
    const cur = this.read(now);
    const secs = Math.max(0.001, (now - this.last.t) / 1000);
    const rate = (k: 'up' | 'down' | 'payloads' | 'offers' | 'deadLetters'): number =>
      Math.round(((cur[k] - this.last[k]) / secs) * 10) / 10;
    const s: FlowSample = {
      t: now,
      up: rate('up'),
      down: rate('down'),
      payloads: rate('payloads'),
      offers: rate('offers'),
      deadLetters: rate('deadLetters'),
      latencyMs: this.latCount ? Math.round((this.latSum / this.latCount) * 10) / 10 : 0,
      latencyMaxMs: Math.round(this.latMax * 10) / 10,
    };
    this.last = cur;
    this.latSum = this.latCount = this.latMax = 0;
    this.ring.push(s);
    if (this.ring.length > this.keep) this.ring.shift();
    return s;
  }

  private read(t: number) {
    return {
      t,
      up: this.src.events.received,
      down: this.src.events.sent,
      payloads: this.src.dispatch.handled,
      offers: this.src.dispatch.offered,
      deadLetters: this.src.dispatch.deadLettered,
    };
  }
}
