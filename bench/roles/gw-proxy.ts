// Gateway bench (worker side): what sits between the load and the upstream. `twin` is a bare undici proxy written
// by hand (the floor of any proxy in Node); the other modes are an edge node's gateway with no plugins, six hooks
// in process, the same six hooks out of process, or one onBeforeWrite hook (SSE).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEdgeNode, type EdgeNode } from '@hubspoke/edge-node';
import type { PluginSpec } from '@hubspoke/runtime';
import { Agent } from 'undici';
import type { Commands } from '../worker.js';
import { SixHooks, WriteHook } from '../gateway/six-hooks.js';

const LOG = { level: 'error' };
const OOP = fileURLToPath(new URL('../gateway/oop-plugin.ts', import.meta.url));

function twin(upstream: string): Promise<string> {
  const agent = new Agent({ connections: 512, keepAliveTimeout: 10_000 });
  const origin = new URL(upstream).origin;
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (v !== undefined && k !== 'host' && k !== 'connection') headers[k] = v;
    try {
      const up = await agent.request({
        origin,
        path: (req.url ?? '/').replace(/^\/llm/, ''),
        method: req.method as 'GET',
        headers,
        body: req.method === 'GET' || req.method === 'HEAD' ? null : req,
      });
      const out: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(up.headers))
        if (v !== undefined && k !== 'connection' && k !== 'keep-alive' && k !== 'transfer-encoding') out[k] = v;
      res.writeHead(up.statusCode, out);
      for await (const c of up.body) res.write(c);
      res.end();
    } catch {
      res.writeHead(502).end();
    }
  });
  return new Promise((r) =>
    server.listen(0, '127.0.0.1', () => r(`127.0.0.1:${(server.address() as AddressInfo).port}`)),
  );
}

export function create(): Commands {
  let edge: EdgeNode | undefined;
  let writeHook: WriteHook | undefined;
  return {
    async start(a: { mode: string; upstream: string; natsUrl: string; edgeId: string }) {
      if (a.mode === 'twin') return { address: await twin(a.upstream) };
      const plugins: PluginSpec[] =
        a.mode === 'six'
          ? [new SixHooks()]
          : a.mode === 'oop'
            ? [{ command: [process.execPath, '--import', 'tsx', OOP] }]
            : a.mode === 'sse-hook'
              ? [(writeHook = new WriteHook())]
              : [];
      edge = await startEdgeNode({
        natsUrl: a.natsUrl,
        edgeId: a.edgeId,
        namespace: 'bench',
        kv: 'file',
        log: LOG,
        stateDir: mkdtempSync(join(tmpdir(), 'hubspoke-gwbench-')),
        plugins,
        // `none-local`: records stay at the edge (no payloads to the control plane), to see what telemetry costs.
        gateway: { listen: '127.0.0.1:0', hookTimeoutMs: 2000, telemetry: { toControl: a.mode !== 'none-local' } },
      });
      const g = edge.gateway!;
      const deadline = Date.now() + 10_000;
      while ((g.table.routes.length === 0 || g.table.keys.size === 0) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      return { address: g.address };
    },

    /** Counters of the gateway under test (telemetry dropped, sent). */
    async stats() {
      const t = edge?.gateway?.telemetry.counters;
      return { ...t, requests: edge?.gateway?.counters.requests, writeEvents: writeHook?.events ?? 0 };
    },

    /** Telemetry: `count` records through the edge's emit path, timed until every one is on the payload channel. */
    async telemetry(a: { count: number }) {
      const t = edge!.gateway!.telemetry;
      const before = t.counters.sent;
      const dropped = t.counters.dropped;
      const t0 = performance.now();
      for (let i = 0; i < a.count; i++) {
        t.emit({
          kind: 'log',
          record: {
            requestId: `r${i}`,
            route: 'api',
            method: 'POST',
            path: '/llm/v1/chat',
            statusCode: 200,
            latencyMs: 1,
            requestBytes: 10,
            responseBytes: 100,
            edgeId: 'bench',
            timestamp: new Date(),
          },
        });
        if (i % 1000 === 999) await new Promise((r) => setImmediate(r));
      }
      while (t.counters.sent - before < a.count && performance.now() - t0 < 60_000)
        await new Promise((r) => setTimeout(r, 5));
      const ms = performance.now() - t0;
      return { sentPerS: (t.counters.sent - before) / (ms / 1000), dropped: t.counters.dropped - dropped };
    },

    async stop() {
      await edge?.close();
      return {};
    },
  };
}
