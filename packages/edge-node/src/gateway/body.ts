import type { IncomingMessage } from 'node:http';
import { ErrorCode, HubspokeError, type HookBody } from '@hubspoke/sdk';

const enc = new TextEncoder();

/** A hook's body as bytes: bytes as they are, text as UTF-8, anything else as JSON. */
export function bodyBytes(b: HookBody): Uint8Array {
  if (b instanceof Uint8Array) return b;
  if (typeof b === 'string') return enc.encode(b);
  return enc.encode(JSON.stringify(b));
}

export function tooLarge(max: number): HubspokeError {
  return new HubspokeError(ErrorCode.RequestTooLarge, `body above ${max} bytes`);
}

/**
 * A request body: read whole on demand (a hook calls `body()`, once, later calls get the same bytes), or streamed
 * to the upstream untouched; either way counted, and refused past `max` bytes.
 */
export class RequestBody {
  bytes = 0;
  /** Set when the body passed the limit (the request then answers 413). */
  overLimit = false;
  private whole: Promise<Buffer> | undefined;
  /** A replacement set by a hook. */
  replaced: Uint8Array | undefined;

  constructor(
    private readonly req: IncomingMessage,
    private readonly max: number,
  ) {}

  /** Whether the request has a body at all (a length above 0, or chunked). */
  get present(): boolean {
    const h = this.req.headers;
    return (h['content-length'] !== undefined && h['content-length'] !== '0') || h['transfer-encoding'] !== undefined;
  }

  read(): Promise<Uint8Array> {
    if (this.replaced) return Promise.resolve(this.replaced);
    return (this.whole ??= (async () => {
      const parts: Buffer[] = [];
      for await (const c of this.counted()) parts.push(c);
      return Buffer.concat(parts);
    })());
  }

  /** What to send upstream: the bytes read or set, or the stream as it comes. */
  upstream(): Uint8Array | AsyncIterable<Buffer> | IncomingMessage | undefined {
    if (this.replaced) return this.replaced;
    if (this.whole)
      return (async function* (w: Promise<Buffer>) {
        yield await w;
      })(this.whole);
    if (!this.present) return undefined;
    // A body of declared length within the limit goes as the stream it is (node's parser holds it to that length);
    // a chunked one is counted on its way.
    const len = this.req.headers['content-length'];
    if (len !== undefined && this.req.headers['transfer-encoding'] === undefined && Number(len) <= this.max) {
      this.bytes = Number(len);
      return this.req;
    }
    return this.counted();
  }

  private async *counted(): AsyncGenerator<Buffer> {
    for await (const c of this.req as AsyncIterable<Buffer>) {
      this.bytes += c.length;
      if (this.bytes > this.max) {
        this.overLimit = true;
        throw tooLarge(this.max);
      }
      yield c;
    }
  }
}
