// Starting fabric nodes quietly for the bench (log level error, edge state in a temp folder, file KV).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlPlane, type ControlPlane } from '@hubspoke/control-plane';
import { startEdgeNode, type EdgeNode } from '@hubspoke/edge-node';

const LOG = { level: process.env['HUBSPOKE_LOG_LEVEL'] ?? 'error' };
let stateRoot: string | undefined;

export function benchControlPlane(url: string): Promise<ControlPlane> {
  return startControlPlane({ natsUrl: url, log: LOG, connectTimeoutMs: 10000 });
}

/** Starts `n` edge nodes `<prefix>0..` in namespace `bench`, 20 at a time. */
export async function benchEdges(url: string, n: number, prefix: string): Promise<EdgeNode[]> {
  stateRoot ??= mkdtempSync(join(tmpdir(), 'hubspoke-bench-'));
  const edges: EdgeNode[] = [];
  for (let i = 0; i < n; i += 20) {
    const batch = Array.from({ length: Math.min(20, n - i) }, (_, j) =>
      startEdgeNode({
        natsUrl: url,
        edgeId: `${prefix}${i + j}`,
        namespace: 'bench',
        kv: 'file',
        log: LOG,
        connectTimeoutMs: 10000,
        stateDir: join(stateRoot as string, `${prefix}${i + j}`),
      }),
    );
    edges.push(...(await Promise.all(batch)));
  }
  return edges;
}

export function removeState(): void {
  if (stateRoot) rmSync(stateRoot, { recursive: true, force: true });
  stateRoot = undefined;
}
