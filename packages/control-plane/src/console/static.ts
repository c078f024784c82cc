import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { BASE_HEADERS } from './http.js';

/** The console's own files: `packages/control-plane/web`, beside `src` and `dist`. */
const WEB_DIR = fileURLToPath(new URL('../../web/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

interface File {
  body: Buffer;
  type: string;
  etag: string;
  /** Content-addressed: cached for a year; otherwise revalidated with the ETag. */
  immutable: boolean;
}

/** The console page's CSP: everything from this server, nothing inline, plugin pages only in frames from here. */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-src 'self'",
  "frame-ancestors 'none'",
  "form-action 'self'",
  "base-uri 'none'",
  "object-src 'none'",
].join('; ');

/**
 * The console's files, read once at start: scripts and styles under `/assets/<name>.<hash>.<ext>` (cached for
 * good), the page itself at every console route (revalidated by ETag). No build step, no CDN.
 */
export class StaticFiles {
  private readonly files = new Map<string, File>();
  private readonly page: File;

  constructor() {
    const hashed = new Map<string, string>();
    for (const name of readdirSync(WEB_DIR)) {
      const ext = /\.[a-z]+$/.exec(name)?.[0] ?? '';
      if (name === 'index.html' || !TYPES[ext]) continue;
      const body = readFileSync(WEB_DIR + name);
      const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
      const url = name === 'bridge.js' ? '/bridge.js' : `/assets/${name.slice(0, -ext.length)}.${hash}${ext}`;
      hashed.set(name, url);
      this.files.set(url, { body, type: TYPES[ext] as string, etag: `"${hash}"`, immutable: url !== '/bridge.js' });
    }
    let html = readFileSync(`${WEB_DIR}index.html`, 'utf8');
    for (const [name, url] of hashed) html = html.replaceAll(`/assets/${name}`, url);
    const body = Buffer.from(html, 'utf8');
    const etag = `"${createHash('sha256').update(body).digest('hex').slice(0, 12)}"`;
    this.page = { body, type: TYPES['.html'] as string, etag, immutable: false };
  }

  /** Serves a file or the page; false when `path` is neither. */
  serve(req: IncomingMessage, res: ServerResponse, path: string, isPage: boolean): boolean {
    const f = isPage ? this.page : this.files.get(path);
    if (!f) return false;
    const headers: Record<string, string> = {
      ...BASE_HEADERS,
      'content-type': f.type,
      etag: f.etag,
      'cache-control': f.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    };
    if (isPage) headers['content-security-policy'] = CONSOLE_CSP;
    if (req.headers['if-none-match'] === f.etag) {
      res.writeHead(304, headers).end();
      return true;
    }
    headers['content-length'] = String(f.body.length);
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : f.body);
    return true;
  }
}
