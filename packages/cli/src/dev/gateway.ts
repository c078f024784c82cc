import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EdgeNode } from '@hubspoke/edge-node';
import type { ControlConfigService } from '@hubspoke/sdk';

/** The small OpenAI-compatible upstream `hubspoke dev` puts behind the edges' gateways. */
export interface FakeOpenAI {
  readonly url: string;
  close(): Promise<void>;
}

const WORDS = ['hubspoke', 'carries', 'this', 'answer', 'from', 'a', 'fake', 'upstream', 'through', 'the', 'edge'];

function completion(res: ServerResponse, body: { model?: string; stream?: boolean }): void {
  const model = body.model ?? 'fake-gpt';
  const usage = { prompt_tokens: 9, completion_tokens: WORDS.length, total_tokens: 9 + WORDS.length };
  if (!body.stream) {
    const text = JSON.stringify({
      id: `chatcmpl-${randomBytes(6).toString('hex')}`,
      object: 'chat.completion',
      model,
      choices: [{ index: 0, message: { role: 'assistant', content: WORDS.join(' ') }, finish_reason: 'stop' }],
      usage,
    });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  let i = 0;
  const timer = setInterval(() => {
    if (i < WORDS.length) {
      const delta = { choices: [{ index: 0, delta: { content: `${WORDS[i++]} ` } }], model };
      res.write(`data: ${JSON.stringify(delta)}\n\n`);
      return;
    }
    clearInterval(timer);
    res.write(`data: ${JSON.stringify({ choices: [], model, usage })}\n\n`);
    res.end('data: [DONE]\n\n');
  }, 100);
  res.on('close', () => clearInterval(timer));
}

/** Starts the fake upstream on a free loopback port: `POST /v1/chat/completions` (JSON, or SSE with `stream`), `GET /v1/models`. */
export async function startFakeOpenAI(): Promise<FakeOpenAI> {
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const parts: Buffer[] = [];
    for await (const c of req) parts.push(c as Buffer);
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'POST' && path === '/v1/chat/completions') {
      let body: { model?: string; stream?: boolean } = {};
      try {
        body = JSON.parse(Buffer.concat(parts).toString() || '{}') as typeof body;
      } catch {
        res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"body is not JSON"}');
        return;
      }
      completion(res, body);
      return;
    }
    if (req.method === 'GET' && path === '/v1/models') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":[{"id":"fake-gpt"}]}');
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/**
 * Puts the dev gateway config (a route to the fake upstream, an app with a fresh key) once the edges run, and waits
 * (up to 10 s) until every edge's gateway serves it; resolves to the key. Put after the edges start, so that it
 * reaches them as a push: with authorization on, an edge behind its leaf does not get the snapshot it asks for
 * at start (seen 2026-12-06, `hubspoke edges` shows CONFIG 0/n).
 */
export async function putDevGatewayConfig(
  config: ControlConfigService,
  upstream: string,
  edges: readonly EdgeNode[],
): Promise<string> {
  const key = `sk-dev-${randomBytes(12).toString('hex')}`;
  await config.put('route.openai', {
    path: '/llm/openai/',
    upstream,
    prices: { promptPer1k: 0.5, completionPer1k: 1.5, currency: 'USD' },
  });
  await config.put('app.dev', {
    name: 'hubspoke dev',
    credentials: [createHash('sha256').update(key).digest('hex')],
  });
  const deadline = Date.now() + 10_000;
  const served = (e: EdgeNode): boolean =>
    (e.gateway?.table.routes.length ?? 0) > 0 && (e.gateway?.table.keys.size ?? 0) > 0;
  while (!edges.every(served) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return key;
}

/** The curl commands `hubspoke dev` prints for one gateway. */
export function curlLines(edgeId: string, address: string, key: string): string[] {
  const url = `http://${address}/llm/openai/v1/chat/completions`;
  const body = `'{"model":"fake-gpt","messages":[{"role":"user","content":"hi"}]}'`;
  return [
    `  gateway of ${edgeId}: http://${address}/`,
    `    curl -s ${url} -H 'Authorization: Bearer ${key}' -d ${body}`,
    `    curl -sN ${url} -H 'Authorization: Bearer ${key}' -d '{"model":"fake-gpt","stream":true}'   (SSE)`,
  ];
}
