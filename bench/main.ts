// hubspoke bench: how close the fabric comes to raw nats.js, measured in the same run.
//   node --import tsx bench/main.ts [--quick] [--count N] [--size BYTES] [--edges N] [--repeats N]
//                                   [--only name,...] [--out FILE] [--cpu-prof]
// Starts its own nats-server on free ports (never 4222), runs each scenario's variants in worker processes
// (bench/worker.ts), prints a table of medians and writes a JSON result (default bench-results/<timestamp>.json).
// Scenarios: up1, up10, down, local, memory, durable, replicas, edges, gateway, cluster. See docs/performance.md.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startNatsServer } from '../test/helpers/index.js';
import type { BenchOptions } from './lib/options.js';
import { renderTable, type Row } from './lib/result.js';
import { profile } from './lib/rpc.js';
import { now } from './lib/util.js';
import { cluster } from './scenarios/cluster.js';
import { dirDown } from './scenarios/dir-down.js';
import { dirLocal } from './scenarios/dir-local.js';
import { dirUp } from './scenarios/dir-up.js';
import { durable } from './scenarios/durable.js';
import { edges } from './scenarios/edges.js';
import { gateway } from './scenarios/gateway.js';
import { memory } from './scenarios/memory.js';
import { replicas } from './scenarios/replicas.js';

const SCENARIOS: Record<string, (o: BenchOptions) => Promise<Row[]>> = {
  up1: (o) => dirUp(o, 1),
  up10: (o) => dirUp(o, 10),
  down: dirDown,
  local: dirLocal,
  memory,
  durable,
  replicas,
  edges,
  gateway,
  cluster,
};

const { values } = parseArgs({
  options: {
    count: { type: 'string' },
    size: { type: 'string' },
    edges: { type: 'string' },
    repeats: { type: 'string' },
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    out: { type: 'string' },
    'cpu-prof': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log(`usage: node --import tsx bench/main.ts [--quick] [--count N] [--size BYTES] [--edges N] [--repeats N]
                  [--only ${Object.keys(SCENARIOS).join(',')}] [--out FILE] [--cpu-prof]`);
  process.exit(0);
}
const int = (v: string | undefined, d: number, name: string): number => {
  if (v === undefined) return d;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, not ${v}`);
  return n;
};
const quick = values.quick ?? false;
const only = values.only
  ?.split(',')
  .map((s) => s.trim())
  .filter(Boolean);
for (const name of only ?? []) {
  if (!SCENARIOS[name])
    throw new Error(`--only: unknown scenario ${name} (known: ${Object.keys(SCENARIOS).join(', ')})`);
}
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const out = values.out ?? join(root, 'bench-results', `${stamp}.json`);
if (values['cpu-prof']) profile.dir = join(root, 'bench-results', `prof-${stamp}`);

await using server = await startNatsServer({ jetstream: true });
const o: BenchOptions = {
  count: int(values.count, quick ? 30000 : 200000, 'count'),
  size: int(values.size, 128, 'size'),
  edges: int(values.edges, 100, 'edges'),
  repeats: int(values.repeats, 3, 'repeats'),
  quick,
  only,
  out,
  cpuProf: values['cpu-prof'] ?? false,
  url: server.url,
};
if (o.size < 8) throw new Error('--size must be at least 8 (the payload carries the publisher clock)');

let natsVersion = 'unknown';
try {
  natsVersion = execFileSync(process.env['NATS_SERVER_BIN'] ?? 'nats-server', ['--version'])
    .toString()
    .trim();
} catch {
  // reported as unknown
}
const machine = {
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model,
  memGiB: +(totalmem() / 2 ** 30).toFixed(1),
  node: process.version,
  natsServer: natsVersion,
};
console.log(`hubspoke bench: ${machine.cpus} cores, Node ${machine.node}, ${natsVersion}, server ${server.url}`);
console.log(`count ${o.count}, size ${o.size} B, edges ${o.edges}, repeats ${o.repeats}${quick ? ', quick' : ''}\n`);

const t0 = now();
const rows: Row[] = [];
const failures: Record<string, string> = {};
for (const [name, run] of Object.entries(SCENARIOS)) {
  if (only && !only.includes(name)) continue;
  const t = now();
  process.stdout.write(`running ${name}... `);
  try {
    const r = await run(o);
    rows.push(...r);
    console.log(`${((now() - t) / 1000).toFixed(1)} s`);
  } catch (err) {
    failures[name] = err instanceof Error ? (err.stack ?? err.message) : String(err);
    console.log(`FAILED: ${failures[name]}`);
  }
}
console.log(`\n${renderTable(rows)}\n`);
for (const r of rows) if (r.note) console.log(`${r.scenario}, ${r.metric}: ${r.note}`);
const elapsed = (now() - t0) / 1000;
console.log(`\ntotal ${elapsed.toFixed(1)} s`);

mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  `${JSON.stringify({ date: new Date().toISOString(), machine, options: { ...o, url: undefined }, elapsedSeconds: elapsed, rows, failures }, null, 2)}\n`,
);
console.log(`results: ${out}${profile.dir ? `\nCPU profiles: ${profile.dir}` : ''}`);
if (Object.keys(failures).length) process.exitCode = 1;
