/**
 * Splits a `text/event-stream` body into whole events as the bytes arrive: each event (ending with a blank line)
 * is handed on at once, so the client gets it before the upstream ends. Bytes after the last blank line wait for
 * the next chunk; `end()` hands on what is left.
 */
export class SseSplitter {
  private rest: Buffer | undefined;

  /** The whole events completed by this chunk (each with its terminating blank line). */
  push(chunk: Buffer): Buffer[] {
    const buf = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
    const out: Buffer[] = [];
    let start = 0;
    for (;;) {
      const lf = buf.indexOf('\n\n', start);
      const crlf = buf.indexOf('\r\n\r\n', start);
      let end: number;
      if (lf < 0 && crlf < 0) break;
      if (crlf >= 0 && (lf < 0 || crlf + 2 <= lf)) end = crlf + 4;
      else end = lf + 2;
      out.push(buf.subarray(start, end));
      start = end;
    }
    this.rest = start < buf.length ? Buffer.from(buf.subarray(start)) : undefined;
    return out;
  }

  /** What is left after the last complete event, if anything. */
  end(): Buffer | undefined {
    const r = this.rest;
    this.rest = undefined;
    return r;
  }
}
