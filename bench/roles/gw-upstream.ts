// Gateway bench (worker side): the upstream, a bare node:http server. `/json` answers a small OpenAI-style body
// with usage; `/sse?n=N` writes N events at once, then ends.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Commands } from '../worker.js';

const BODY = JSON.stringify({
  id: 'x',
  model: 'm',
  choices: [{ message: { content: 'ok' } }],
  usage: { prompt_tokens: 3, completion_tokens: 5, total_tokens: 8 },
});

export function create(): Commands {
  return {
    async start() {
      const server = createServer((req, res) => {
        req.resume();
        req.on('end', () => {
          const url = req.url ?? '';
          if (url.includes('/sse')) {
            const n = Number(new URL(url, 'http://x').searchParams.get('n') ?? 100);
            res.writeHead(200, { 'content-type': 'text/event-stream' });
            const ev = 'data: {"choices":[{"delta":{"content":"tok"}}]}\n\n';
            let s = '';
            for (let i = 0; i < n; i++) s += ev;
            res.end(s);
            return;
          }
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(BODY) });
          res.end(BODY);
        });
      });
      server.keepAliveTimeout = 30_000;
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
    },
  };
}
