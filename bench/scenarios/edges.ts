// Scenario: edges at the control plane. 200 simulated edge nodes (one child process, heartbeatMs 1000) register
// with a control plane: the control plane's heap per edge, the time until all are online, and the time from a
// config put until every edge that should see it acknowledged its revision. Runs bench/registry-scale.ts, which
// starts its own nats-server. No raw twin: raw NATS has no registry or config sync to compare with.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BenchOptions } from '../lib/options.js';
import type { Row } from '../lib/result.js';

const SCRIPT = fileURLToPath(new URL('../registry-scale.ts', import.meta.url));
const EDGES = 200;

interface Scale {
  edges: number;
  allOnlineMs: number;
  heapPerEdgeKiB: number;
  configGlobalAllAckedMs: number;
  configNamespaceAllAckedMs: number;
  usEdgesUntouchedByEuChange: boolean;
}

export async function edges(_o: BenchOptions): Promise<Row[]> {
  const stdout = await new Promise<string>((resolve, reject) =>
    execFile(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', SCRIPT, String(EDGES)],
      { timeout: 180_000 },
      (err, out) => (err ? reject(err) : resolve(out)),
    ),
  );
  const line = stdout
    .trim()
    .split('\n')
    .findLast((l) => l.startsWith('{'));
  if (!line) throw new Error(`registry-scale printed no result:\n${stdout}`);
  const r = JSON.parse(line) as Scale;
  const scenario = `${r.edges} edges at the control plane`;
  return [
    { scenario, metric: 'control-plane heap per edge', unit: 'KiB', fabric: r.heapPerEdgeKiB, twins: {}, detail: r },
    { scenario, metric: 'all online after start', unit: 'ms', fabric: r.allOnlineMs, twins: {} },
    {
      scenario,
      metric: 'config put → acknowledged by all (global)',
      unit: 'ms',
      fabric: r.configGlobalAllAckedMs,
      twins: {},
      note: 'from the put until every edge reported the revision in a heartbeat (sent at once after applying)',
    },
    {
      scenario,
      metric: `config put → acknowledged by the ${r.edges / 2} of one namespace`,
      unit: 'ms',
      fabric: r.configNamespaceAllAckedMs,
      twins: {},
    },
  ];
}
