import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ErrorCode, HubspokeError } from '@hubspoke/sdk';
import type { PluginHost } from '@hubspoke/runtime';
import type { Logger as Pino } from 'pino';
import type { AdminOps } from '../admin/operations.js';
import { ConsoleApi } from './api.js';
import { Sessions, checkChange, checkOrigin, type Session } from './auth.js';
import { FlowSampler, type FlowSources } from './flow.js';
import { BASE_HEADERS, readJson, sendError, sendJson, splitListen } from './http.js';
import { LiveHub } from './live.js';
import { PLUGIN_CSP, PluginUIs } from './plugins.js';
import { StaticFiles } from './static.js';

/** What the console serves from. */
export interface ConsoleServerOptions {
  /** `host:port`; port 0 picks a free one. */
  listen: string;
  /** The admin token: the console's login. */
  token: string;
  /** The admin operations (the same the gRPC admin API calls). */
  ops: AdminOps;
  /** The plugin host, for UIProvider plugins. */
  host: PluginHost;
  /** The counters the flow view samples. */
  flow: FlowSources;
  log: Pino;
  /** How long a plugin may take to answer getAsset or handleRPC. @default 10000 */
  pluginTimeoutMs?: number;
  /** How often the edge registry is read for the live view. @default 250 */
  edgesEveryMs?: number;
}

/** A running console. */
export interface ConsoleServer {
  /** The bound `host:port`. */
  readonly address: string;
  /** Told each payload's dispatch latency (seconds), for the flow view. */
  latency(seconds: number): void;
  close(): Promise<void>;
}

/** A path segment, decoded; a malformed one is the client's mistake (400), not ours. */
function decodePart(p: string): string {
  try {
    return decodeURIComponent(p);
  } catch {
    throw new HubspokeError(ErrorCode.InvalidArgument, `malformed path segment ${JSON.stringify(p)}`);
  }
}

/** A failed login answers after this long: guessing tokens over HTTP stays slow. */
const FAILED_LOGIN_DELAY_MS = 300;

const PAGES = new Set(['', 'edges', 'flow', 'payloads', 'dead-letters', 'replay', 'config', 'login']);

/** Starts the ops console's HTTP server (docs/console.md). */
export async function startConsoleServer(o: ConsoleServerOptions): Promise<ConsoleServer> {
  const log = o.log.child({ component: 'console' });
  const { host, port } = splitListen('console.listen', o.listen);
  const sessions = new Sessions(o.token);
  const files = new StaticFiles();
  const flow = new FlowSampler(o.flow);
  const live = new LiveHub(
    () => o.ops.listEdges(),
    log,
    () => flow.history(),
  );
  const plugins = new PluginUIs(o.host, o.pluginTimeoutMs ?? 10_000, log);
  const api = new ConsoleApi({ ops: o.ops, live, plugins });

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://console');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    if (path.startsWith('/api/')) {
      const parts = path.slice(5).split('/').map(decodePart);
      if (parts[0] === 'login' && method === 'POST') {
        checkOrigin(req);
        const given = ((await readJson(req)) as { token?: unknown }).token;
        let s: Session;
        try {
          s = sessions.login(given);
        } catch (err) {
          log.warn({ remote: req.socket.remoteAddress }, 'console login refused: wrong admin token');
          await new Promise((resolve) => setTimeout(resolve, FAILED_LOGIN_DELAY_MS));
          throw err;
        }
        log.info({ remote: req.socket.remoteAddress }, 'console login');
        sendJson(res, 200, { csrf: s.csrf, assetKey: s.assetKey }, { 'set-cookie': sessions.cookie(s) });
        return;
      }
      const s = sessions.require(req);
      if (method !== 'GET' && method !== 'HEAD') checkChange(req, s);
      if (parts[0] === 'session' && method === 'GET') return sendJson(res, 200, { csrf: s.csrf, assetKey: s.assetKey });
      if (parts[0] === 'logout' && method === 'POST') {
        sessions.logout(s);
        live.endSession(s.id);
        return sendJson(res, 200, { ok: true }, { 'set-cookie': sessions.cookie(undefined) });
      }
      if (parts[0] === 'live' && method === 'GET') return live.open(res, s.id);
      if (await api.handle(req, res, parts, url.searchParams)) return;
      return sendJson(res, 404, { error: { code: ErrorCode.InvalidArgument, message: `no route ${method} ${path}` } });
    }
    if (method !== 'GET' && method !== 'HEAD') {
      res.writeHead(405, { ...BASE_HEADERS, allow: 'GET, HEAD' }).end();
      return;
    }
    if (path.startsWith('/plugin-assets/')) return pluginAsset(res, path);
    if (path === '/session') {
      const s = sessions.find(req);
      return sendJson(
        res,
        200,
        s ? { authenticated: true, csrf: s.csrf, assetKey: s.assetKey } : { authenticated: false },
      );
    }
    const first = path.split('/')[1] ?? '';
    if (PAGES.has(first) || first === 'plugins') {
      files.serve(req, res, path, true);
      return;
    }
    if (!files.serve(req, res, path, false)) {
      res.writeHead(404, { ...BASE_HEADERS, 'content-type': 'text/plain' }).end('not found\n');
    }
  }

  /** `/plugin-assets/<session asset key>/<plugin>/<asset path>`: the frame sends no cookie (opaque origin). */
  async function pluginAsset(res: ServerResponse, path: string): Promise<void> {
    const [key = '', name = '', ...rest] = path.slice('/plugin-assets/'.length).split('/').map(decodePart);
    const s: Session | undefined = sessions.byAssetKey(key);
    if (!s) throw new HubspokeError(ErrorCode.Unauthenticated, 'no session for this plugin asset: log in again');
    const asset = await plugins.asset(name, rest.join('/'));
    if (!asset) {
      res.writeHead(404, { ...BASE_HEADERS, 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    res.writeHead(200, {
      ...BASE_HEADERS,
      'content-type': asset.contentType,
      'content-security-policy': PLUGIN_CSP,
      'cache-control': 'private, no-cache',
      'content-length': String(asset.body.length),
    });
    res.end(asset.body);
  }

  const server = createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      if (res.headersSent) {
        res.end();
        return;
      }
      if ((err as { code?: string }).code === ErrorCode.Internal || !(err as { code?: string }).code) {
        log.warn({ err, url: req.url }, 'console request failed');
      }
      sendError(res, err);
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (cause: Error) =>
      reject(
        new HubspokeError(ErrorCode.ConfigInvalid, `console.listen: cannot listen on ${o.listen}: ${cause.message}`, {
          cause,
        }),
      ),
    );
    server.listen(port, host, () => resolve());
  });
  const a = server.address() as AddressInfo;
  const address = `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
  flow.start((sample) => live.broadcast('flow', sample));
  live.start(o.edgesEveryMs ?? 250);
  log.info({ address }, 'ops console listening (HTTP)');
  let closed: Promise<void> | undefined;
  return {
    address,
    latency: (s) => flow.latency(s),
    close: () =>
      (closed ??= new Promise<void>((resolve) => {
        flow.stop();
        api.close();
        live.stop();
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}
