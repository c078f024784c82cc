// A real HTTP upstream for gateway tests (node:http on a free port): echoes what it got, answers OpenAI-style
// JSON with usage, streams SSE events held back until the test releases them, hangs on request.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headersDistinct'];
  body: string;
}

export interface Upstream extends AsyncDisposable {
  url: string;
  seen: Seen[];
  /** Requests whose client went away before they were answered (the gateway aborted them). */
  aborted: number;
  /** Lets the held SSE stream send its next event. */
  release(): void;
}

export async function startUpstream(): Promise<Upstream> {
  const seen: Seen[] = [];
  let gate: (() => void)[] = [];
  let waiting = 0;
  const up: Upstream = {
    url: '',
    seen,
    aborted: 0,
    release() {
      const g = gate.shift();
      if (g) g();
      else waiting++;
    },
    async [Symbol.asyncDispose]() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
  const next = (): Promise<void> =>
    waiting > 0 ? (waiting--, Promise.resolve()) : new Promise<void>((r) => gate.push(r));
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const parts: Buffer[] = [];
    for await (const c of req) parts.push(c as Buffer);
    const s: Seen = {
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headersDistinct,
      body: Buffer.concat(parts).toString(),
    };
    seen.push(s);
    res.on('close', () => {
      if (!res.writableFinished) up.aborted++;
    });
    const path = (req.url ?? '').split('?')[0] ?? '';
    if (path.endsWith('/hang')) return; // never answers
    if (path.endsWith('/chat/completions')) {
      const body = JSON.stringify({
        id: 'cmpl-1',
        model: 'gpt-test',
        choices: [{ message: { role: 'assistant', content: 'hi' } }],
        usage: { prompt_tokens: 12, completion_tokens: 30, total_tokens: 42 },
      });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    if (path.endsWith('/sse')) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      for (let i = 0; i < 3; i++) {
        await next();
        res.write(`data: {"n":${i}}\n\n`);
      }
      await next();
      res.write('data: {"model":"gpt-test","usage":{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12}}\n\n');
      res.end('data: [DONE]\n\n');
      return;
    }
    if (path.endsWith('/cookies')) {
      res.setHeader('set-cookie', ['a=1', 'b=2']);
      res.setHeader('x-multi', ['one', 'two']);
      res.end('ok');
      return;
    }
    const body = JSON.stringify(s);
    res.writeHead(200, {
      'content-type': 'application/json',
      'x-upstream': 'yes',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  up.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return up;
}
