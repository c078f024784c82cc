import type { ServerResponse } from 'node:http';
import type { EdgeInfo } from '@hubspoke/sdk';
import type { Logger as Pino } from 'pino';
import { BASE_HEADERS } from './http.js';

/** An edge as the console's pages get it (times as Unix ms). */
export interface ConsoleEdge {
  edgeId: string;
  namespace: string;
  state: EdgeInfo['state'];
  firstSeen: number;
  lastSeen: number;
  version: string;
  appliedRevision: number;
  latestRevision: number;
  outboxDepth: number;
  reconnects: number;
  lastError: string;
}

export function consoleEdge(e: EdgeInfo): ConsoleEdge {
  return {
    edgeId: e.edgeId,
    namespace: e.namespace,
    state: e.state,
    firstSeen: e.firstSeen.getTime(),
    lastSeen: e.lastSeen.getTime(),
    version: e.version,
    appliedRevision: e.appliedRevision,
    latestRevision: e.latestRevision,
    outboxDepth: e.outboxDepth,
    reconnects: e.reconnects,
    lastError: e.lastError ?? '',
  };
}

/** Bytes a page's stream may have waiting before it is cut. */
const MAX_BUFFERED = 4 * 1024 * 1024;

interface Client {
  res: ServerResponse;
  sessionId: string;
}

/**
 * The console's one live stream (server-sent events): every open page gets the edges (all at first, then only
 * what changed), flow samples and replay progress from the same server-side samplers, however many views are open.
 */
export class LiveHub {
  private readonly clients = new Set<Client>();
  private edges = new Map<string, { json: string; edge: ConsoleEdge }>();
  private timer: NodeJS.Timeout | undefined;
  private keepAlive: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;

  constructor(
    private readonly listEdges: () => Promise<EdgeInfo[]>,
    private readonly log: Pino,
    private readonly history: () => unknown[],
  ) {}

  /** Starts following the registry (every `everyMs`). */
  start(everyMs: number): void {
    // Read only while a page listens: an idle console costs nothing.
    this.timer = setInterval(() => {
      if (this.clients.size > 0) void this.pollEdges();
    }, everyMs);
    this.keepAlive = setInterval(() => {
      for (const c of this.clients) this.write(c, ': keep-alive\n\n');
    }, 15_000);
    this.timer.unref();
    this.keepAlive.unref();
  }

  /** Opens a stream for a logged-in page: the current edges and the flow history first. */
  async open(res: ServerResponse, sessionId: string): Promise<void> {
    await this.pollEdges();
    res.writeHead(200, {
      ...BASE_HEADERS,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    const c: Client = { res, sessionId };
    this.clients.add(c);
    res.on('close', () => this.clients.delete(c));
    res.write('retry: 2000\n\n');
    this.send(c, 'edges', { all: [...this.edges.values()].map((e) => e.edge) });
    this.send(c, 'flow-history', this.history());
  }

  /** Sends an event to every open page. */
  broadcast(event: string, data: unknown): void {
    const text = frame(event, data);
    for (const c of this.clients) this.write(c, text);
  }

  /** Ends the streams of one session (logout). */
  endSession(sessionId: string): void {
    for (const c of this.clients) if (c.sessionId === sessionId) c.res.end();
  }

  stop(): void {
    clearInterval(this.timer);
    clearInterval(this.keepAlive);
    for (const c of this.clients) c.res.end();
    this.clients.clear();
  }

  private send(c: Client, event: string, data: unknown): void {
    this.write(c, frame(event, data));
  }

  /**
   * A page that stopped reading (a laptop asleep) would make the server buffer without end: past
   * {@link MAX_BUFFERED} its stream is ended, and the page reconnects and starts afresh when it wakes.
   */
  private write(c: Client, text: string): void {
    if (c.res.writableLength > MAX_BUFFERED) {
      this.clients.delete(c);
      c.res.destroy();
      return;
    }
    c.res.write(text);
  }

  /** Reads the registry and broadcasts what changed; a call while a read runs waits for that one. */
  private pollEdges(): Promise<void> {
    return (this.polling ??= this.readEdges().finally(() => (this.polling = undefined)));
  }

  private async readEdges(): Promise<void> {
    try {
      const now = new Map<string, { json: string; edge: ConsoleEdge }>();
      const upsert: ConsoleEdge[] = [];
      for (const info of await this.listEdges()) {
        const edge = consoleEdge(info);
        const json = JSON.stringify(edge);
        now.set(edge.edgeId, { json, edge });
        if (this.edges.get(edge.edgeId)?.json !== json) upsert.push(edge);
      }
      const remove = [...this.edges.keys()].filter((id) => !now.has(id));
      const first = this.edges.size === 0;
      this.edges = now;
      if (!first && (upsert.length > 0 || remove.length > 0)) this.broadcast('edges', { upsert, remove });
      else if (first && now.size > 0) this.broadcast('edges', { upsert, remove: [] });
    } catch (err) {
      this.log.warn({ err }, 'console: the edge registry did not answer');
    }
  }
}

function frame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}
