/**
 * A circuit breaker per plugin: after `failures` failed calls in a row (throws or missed deadlines) it opens,
 * and calls are refused at once for `openMs`; then one trial call is let through (half open): its success
 * closes the breaker, its failure opens it again. A plugin that hangs thus costs each request its deadline
 * only until the breaker opens, instead of on every request.
 */
export class Breaker {
  private fails = 0;
  private openUntil = 0;
  private trial = false;
  /** Calls refused while open (a metric). */
  refused = 0;

  constructor(
    private readonly failures: number,
    private readonly openMs: number,
  ) {}

  /** Whether a call may go ahead now. */
  allow(): boolean {
    if (this.openUntil === 0) return true;
    if (Date.now() < this.openUntil || this.trial) {
      this.refused++;
      return false;
    }
    this.trial = true;
    return true;
  }

  success(): void {
    this.fails = 0;
    this.openUntil = 0;
    this.trial = false;
  }

  failure(): void {
    this.trial = false;
    if (++this.fails >= this.failures) this.openUntil = Date.now() + this.openMs;
  }

  get open(): boolean {
    return this.openUntil !== 0 && Date.now() < this.openUntil;
  }
}
