type LineListener = (line: string, seq: number) => void;

/**
 * The last `max` lines a process wrote, numbered: line `seq` values grow forever, so a caller can ask for
 * "a line matching X written after mark M" (e.g. after a restart or a SIGHUP) without seeing older runs' lines.
 */
export class LogBuffer {
  readonly #max: number;
  #lines: string[] = [];
  #firstSeq = 0;
  #partial = '';
  readonly #listeners = new Set<LineListener>();

  constructor(max = 1000) {
    this.#max = max;
  }

  /** The sequence number the next complete line will get. */
  get mark(): number {
    return this.#firstSeq + this.#lines.length;
  }

  write(chunk: string): void {
    const parts = (this.#partial + chunk).split('\n');
    this.#partial = parts.pop() ?? '';
    for (const line of parts) this.#push(line.replace(/\r$/, ''));
  }

  /** Emits a trailing line without newline (call when the stream ends). */
  end(): void {
    if (this.#partial !== '') this.#push(this.#partial);
    this.#partial = '';
  }

  /** Appends a line of the helper's own (e.g. "--- restart ---"). */
  note(text: string): void {
    this.end();
    this.#push(text);
  }

  text(lastN = this.#max): string {
    return this.#lines.slice(-lastN).join('\n');
  }

  /** The first retained line at or after `fromSeq` that matches. */
  find(pattern: RegExp, fromSeq = 0): string | undefined {
    const start = Math.max(0, fromSeq - this.#firstSeq);
    return this.#lines.slice(start).find((line) => pattern.test(line));
  }

  /** Calls `fn` for each new line; returns the unsubscribe function. */
  onLine(fn: LineListener): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /**
   * Resolves with the first line at or after `fromSeq` matching `pattern`, retained or future; rejects after
   * `timeoutMs` or when `signal` aborts.
   */
  waitForLine(pattern: RegExp, fromSeq: number, timeoutMs: number, signal?: AbortSignal): Promise<string> {
    const found = this.find(pattern, fromSeq);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const finish = (err: Error | undefined, line = ''): void => {
        clearTimeout(timer);
        off();
        signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve(line);
      };
      const onAbort = (): void => finish(new Error('waitForLine aborted'));
      const off = this.onLine((line, seq) => {
        if (seq >= fromSeq && pattern.test(line)) finish(undefined, line);
      });
      const timer = setTimeout(() => {
        finish(new Error(`no log line matching ${pattern} within ${timeoutMs} ms; last lines:\n${this.text(20)}`));
      }, timeoutMs);
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  #push(line: string): void {
    const seq = this.mark;
    this.#lines.push(line);
    if (this.#lines.length > this.#max) {
      this.#lines.shift();
      this.#firstSeq++;
    }
    for (const fn of this.#listeners) fn(line, seq);
  }
}
