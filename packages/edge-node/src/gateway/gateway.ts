import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { ErrorCode, HubspokeError, type EdgeConfigView, type EdgeService } from '@hubspoke/sdk';
import type { HostedPlugin } from '@hubspoke/runtime';
import type { Logger as Pino } from 'pino';
import { Agent } from 'undici';
import { Authenticator } from './auth.js';
import { RequestBody } from './body.js';
import { Breaker } from './breaker.js';
import { compileChain, type HookChain } from './chain.js';
import { compileEndpoints, type CompiledEndpoint } from './endpoints.js';
import { handleRequest, type GatewayParts } from './handle.js';
import type { ParsedGatewayOptions } from './options.js';
import { compileTable, isGatewayKey, type GatewayTable } from './table.js';
import { Telemetry } from './telemetry.js';

/** Counters of the gateway (metrics). */
export interface GatewayCounters {
  requests: number;
  /** Answered by a hook's block. */
  blocked: number;
  /** Refused before a hook (bad input, unknown route) or by auth. */
  refused: number;
  /** Request hooks that failed (503). */
  pluginFailures: number;
  upstreamErrors: number;
}

/** What the gateway needs from the edge. */
export interface GatewayDeps {
  options: ParsedGatewayOptions;
  edgeId: string;
  hosted: readonly HostedPlugin[];
  config: EdgeConfigView;
  /** Registers a listener of changes to the effective config view. */
  onConfigChange: (fn: (key: string) => void) => void;
  send: EdgeService['sendToControl'] | undefined;
  maxPayloadBytes: number;
  log: Pino;
}

function parseListen(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  const host = i <= 0 ? '127.0.0.1' : listen.slice(0, i).replace(/^\[|\]$/g, '');
  const port = Number(i < 0 ? listen : listen.slice(i + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new HubspokeError(ErrorCode.ConfigInvalid, `gateway.listen: "${listen}" is not host:port`);
  return { host, port };
}

/**
 * The edge gateway: an HTTP server on node:http whose routes, apps and users come from the edge's synced config
 * (compiled into a table, hook chains included, on every change: nothing is looked up per request), with an
 * undici agent pooling upstream connections. The request path itself is in handle.ts.
 */
export class Gateway {
  readonly counters: GatewayCounters = { requests: 0, blocked: 0, refused: 0, pluginFailures: 0, upstreamErrors: 0 };
  readonly telemetry: Telemetry;
  private readonly parts: GatewayParts;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private compiling: Promise<void> | undefined;
  private again = false;
  address = '';

  private constructor(private readonly d: DepsWithBreakers) {
    const o = d.options;
    this.telemetry = new Telemetry({
      hosted: d.hosted,
      breakerOf: d.breakerOf,
      hookTimeoutMs: o.hookTimeoutMs,
      send: o.telemetry.toControl ? d.send : undefined,
      queueSize: o.telemetry.queueSize,
      batchSize: o.telemetry.batchSize,
      flushMs: o.telemetry.flushMs,
      maxBatchBytes: Math.max(1024, Math.floor(d.maxPayloadBytes * 0.9)),
      log: d.log,
    });
    const edgeAuth: HookChain = compileChain(
      d.hosted.filter((h) => typeof (h.plugin as unknown as Record<string, unknown>)['handleAuth'] === 'function'),
      d.breakerOf,
    );
    this.parts = {
      options: o,
      edgeId: d.edgeId,
      log: d.log,
      table: compileTable([], d.hosted, d.breakerOf),
      endpoints: compileEndpoints(d.hosted) as ReadonlyMap<string, CompiledEndpoint[]>,
      edgeAuth: edgeAuth.auth,
      auth: new Authenticator(o.hookTimeoutMs, o.authCacheMs),
      agent: new Agent({ connections: 512, keepAliveTimeout: 10_000, pipelining: 1 }),
      telemetry: this.telemetry,
      counters: this.counters,
      newId: randomUUID,
    };
    this.server = createServer(
      { maxHeaderSize: o.maxHeaderBytes, keepAliveTimeout: 5000, requestTimeout: 0 },
      (req, res) => void handleRequest(this.parts, req, res),
    );
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => this.clientError(err, socket));
  }

  /** The table in force (routes, apps, users). */
  get table(): GatewayTable {
    return this.parts.table;
  }

  /** Compiles the table from the config view, starts listening, and recompiles on every gateway config change. */
  static async start(deps: GatewayDeps): Promise<Gateway> {
    const breakers = new Map<string, Breaker>();
    const o = deps.options;
    const breakerOf = (plugin: string): Breaker => {
      let b = breakers.get(plugin);
      if (!b) breakers.set(plugin, (b = new Breaker(o.breaker.failures, o.breaker.openMs)));
      return b;
    };
    const g = new Gateway({ ...deps, breakerOf });
    await g.recompile();
    deps.onConfigChange((key) => {
      // Any change may change an AuthHandler's answers (its own plugin.<name> config, say): forget them all.
      g.parts.auth.clear();
      if (isGatewayKey(key)) void g.recompile();
    });
    const { host, port } = parseListen(o.listen);
    await new Promise<void>((resolve, reject) => {
      g.server.once('error', reject);
      g.server.listen(port, host, () => {
        g.server.off('error', reject);
        resolve();
      });
    });
    const a = g.server.address() as AddressInfo;
    g.address = `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
    deps.log.info({ address: g.address, routes: g.table.routes.length }, 'gateway listening');
    return g;
  }

  /** Rebuilds the table from the effective config view; overlapping calls share one run (and one more after). */
  recompile(): Promise<void> {
    if (this.compiling) {
      this.again = true;
      return this.compiling;
    }
    this.compiling = (async () => {
      do {
        this.again = false;
        const entries = (await this.d.config.list()).filter((e) => isGatewayKey(e.key));
        const table = compileTable(entries, this.d.hosted, this.d.breakerOf);
        this.parts.table = table;
        this.parts.auth.clear();
        for (const p of table.problems) this.d.log.warn({ problem: p }, 'gateway config object refused');
      } while (this.again);
    })().finally(() => (this.compiling = undefined));
    return this.compiling;
  }

  private clientError(err: NodeJS.ErrnoException, socket: Socket): void {
    if (!socket.writable || (err as { code?: string }).code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const big = err.code === 'HPE_HEADER_OVERFLOW';
    const status = big ? 431 : 400;
    const code = big ? ErrorCode.RequestTooLarge : ErrorCode.BadRequest;
    const id = randomUUID();
    const msg = big
      ? `headers above ${this.d.options.maxHeaderBytes} bytes`
      : `malformed request (${err.code ?? 'parse error'})`;
    const body = JSON.stringify({ error: { code, message: msg, requestId: id } });
    socket.end(
      `HTTP/1.1 ${status} ${big ? 'Request Header Fields Too Large' : 'Bad Request'}\r\ncontent-type: application/json\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\nx-request-id: ${id}\r\nconnection: close\r\n\r\n${body}`,
    );
    this.counters.requests++;
    this.counters.refused++;
    this.telemetry.emit({
      kind: 'log',
      record: {
        requestId: id,
        route: '',
        method: '',
        path: '',
        statusCode: status,
        latencyMs: 0,
        requestBytes: 0,
        responseBytes: 0,
        edgeId: this.d.edgeId,
        timestamp: new Date(),
      },
    });
  }

  /** Stops accepting, ends idle connections, waits briefly for requests in flight, then sends what telemetry holds. */
  async close(): Promise<void> {
    const closed = new Promise<void>((r) => this.server.close(() => r()));
    this.server.closeIdleConnections();
    const t = setTimeout(() => {
      for (const s of this.sockets) s.destroy();
    }, 2000);
    await closed;
    clearTimeout(t);
    await this.parts.agent.close().catch(() => undefined);
    await this.telemetry.close();
  }
}

interface DepsWithBreakers extends GatewayDeps {
  breakerOf: (plugin: string) => Breaker;
}
