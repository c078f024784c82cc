import { Buffer } from 'node:buffer';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, HubspokeError, type KVPutOptions, type KVService } from '@hubspoke/sdk';
import { assertKey, assertPrefix, decodeValue, encodeValue } from './ttl.js';

/**
 * A plugin's KV in one local file, for an edge connected straight to the hub (edges get no JetStream at the
 * hub). Every write replaces the file atomically (write, then rename), so a crash leaves the old or the new.
 */
export class FileKV implements KVService {
  private data: Map<string, string> | undefined;
  private chain: Promise<void> = Promise.resolve();
  private readonly file: string;
  private closed = false;

  constructor(
    private readonly dir: string,
    plugin: string,
  ) {
    this.file = join(dir, `${plugin}.kv.json`);
  }

  private async load(): Promise<Map<string, string>> {
    if (!this.data) {
      try {
        this.data = new Map(Object.entries(JSON.parse(await readFile(this.file, 'utf8')) as Record<string, string>));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        this.data = new Map();
      }
    }
    return this.data;
  }

  /**
   * Refuses writes from now on and resolves once the writes already begun are on disk: after it resolves,
   * nothing of this KV touches its folder (a node's `close()` waits for it, so its state dir can be removed).
   */
  async close(): Promise<void> {
    this.closed = true;
    await this.chain;
  }

  private write<T>(fn: (m: Map<string, string>) => T): Promise<T> {
    if (this.closed) {
      return Promise.reject(
        new HubspokeError(ErrorCode.Closed, `KV ${this.file} is closed: the node is shutting down`),
      );
    }
    const run = this.chain.then(async () => {
      const m = await this.load();
      const result = fn(m);
      await mkdir(this.dir, { recursive: true });
      const tmp = `${this.file}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify(Object.fromEntries(m)));
      await rename(tmp, this.file);
      return result;
    });
    this.chain = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    assertKey(key);
    const v = (await this.load()).get(key);
    return v === undefined ? undefined : decodeValue(Buffer.from(v, 'base64'));
  }

  async put(key: string, value: Uint8Array | string, opts?: KVPutOptions): Promise<void> {
    assertKey(key);
    const stored = Buffer.from(encodeValue(value, opts)).toString('base64');
    await this.write((m) => m.set(key, stored));
  }

  async delete(key: string): Promise<boolean> {
    const existed = (await this.get(key)) !== undefined;
    await this.write((m) => m.delete(key));
    return existed;
  }

  async list(prefix = ''): Promise<string[]> {
    assertPrefix(prefix);
    const m = await this.load();
    const now = Date.now();
    return [...m.entries()]
      .filter(([k, v]) => k.startsWith(prefix) && decodeValue(Buffer.from(v, 'base64'), now) !== undefined)
      .map(([k]) => k)
      .sort();
  }
}
