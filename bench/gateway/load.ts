// The gateway bench's load generator (in the bench's main process): closed-loop requests over keep-alive
// connections with undici, for a throughput figure, and one request at a time for latency percentiles.
import { Pool } from 'undici';

export interface Target {
  address: string;
  path: string;
  headers: Record<string, string>;
}

const BODY = '{"model":"m","messages":[{"role":"user","content":"hi"}]}';

/** Requests per second with `conns` connections each keeping one request in flight, for `ms`. */
export async function throughput(t: Target, conns: number, ms: number): Promise<number> {
  const pool = new Pool(`http://${t.address}`, { connections: conns, pipelining: 1 });
  let done = 0;
  let failed = 0;
  const end = performance.now() + ms;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: conns }, async () => {
      while (performance.now() < end) {
        const r = await pool.request({ path: t.path, method: 'POST', headers: t.headers, body: BODY });
        await r.body.dump();
        if (r.statusCode === 200) done++;
        else failed++;
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  await pool.close();
  if (failed > done) throw new Error(`${t.address}${t.path}: ${failed} requests failed, ${done} succeeded`);
  return done / secs;
}

/** p50 and p99 of `n` requests one after another on one connection, in ms. */
export async function latency(t: Target, n: number): Promise<{ p50: number; p99: number }> {
  const pool = new Pool(`http://${t.address}`, { connections: 1, pipelining: 1 });
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const r = await pool.request({ path: t.path, method: 'POST', headers: t.headers, body: BODY });
    await r.body.dump();
    xs.push(performance.now() - t0);
  }
  await pool.close();
  xs.sort((a, b) => a - b);
  const at = (p: number) => xs[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)] as number;
  return { p50: at(50), p99: at(99) };
}

/** Milliseconds to receive one whole SSE response (every event) through `t`. */
export async function sseTime(t: Target, rounds: number): Promise<number[]> {
  const pool = new Pool(`http://${t.address}`, { connections: 1 });
  const out: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    const r = await pool.request({ path: t.path, method: 'GET', headers: t.headers });
    await r.body.text();
    out.push(performance.now() - t0);
  }
  await pool.close();
  return out;
}
