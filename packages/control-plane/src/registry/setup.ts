import type { ControlService, EdgeInfo } from '@hubspoke/sdk';
import { PluginEvents, ensureKvBucket, type SetupContext } from '@hubspoke/runtime';
import type { ConfigParts } from '../config/setup.js';
import type { StateOptions } from '../state.js';
import { EdgeRegistry, type RegistryCounters } from './registry.js';
import { EDGES_BUCKET, type EdgeState } from './record.js';

/** The control plane's view of the edges: `cp.edges`. */
export interface EdgesHandle {
  /** Every edge known, offline ones included until forgotten. */
  list(): Promise<EdgeInfo[]>;
  /**
   * Removes an edge from the registry, and the hub's source of its outbox; resolves to whether either was there.
   * It reappears if it beats (or asks to be sourced) again.
   */
  forget(edgeId: string): Promise<boolean>;
  /** How many edges are in each state now. */
  countByState(): Record<EdgeState, number>;
  /** How many edges, not offline, have applied a lower config revision than the latest they should see. */
  configLag(): number;
  readonly counters: Readonly<RegistryCounters>;
}

/** What the control plane wires: the handle, the plugins' service, and the registry's lifecycle. */
export interface RegistryParts {
  edges: EdgesHandle;
  control: ControlService;
  /** Starts taking heartbeats (after every plugin's `onSessionReady`, so that plugins see every transition). */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Opens the edge registry (bucket `hs-edges`) and loads what the replicas have recorded. */
export async function openEdgeRegistry(
  ctx: SetupContext,
  config: ConfigParts,
  state: StateOptions,
  /** Also forgets what else the control plane keeps of an edge (the source of its outbox). */
  onForget: (edgeId: string) => Promise<boolean> = async () => false,
): Promise<RegistryParts> {
  const kv = await ensureKvBucket(ctx.nc, EDGES_BUCKET, state);
  const registry = new EdgeRegistry(ctx.nc, kv, ctx.log.child({ component: 'edge-registry' }), config.store);
  await registry.open();
  const edges: EdgesHandle = {
    list: async () => registry.list(),
    forget: async (edgeId) => {
      const known = await registry.forget(edgeId);
      return (await onForget(edgeId)) || known;
    },
    countByState: () => registry.countByState(),
    configLag: () => registry.configLag(),
    counters: registry.counters,
  };
  const identity = { runtime: 'control', nodeId: 'control', namespace: undefined } as const;
  return {
    edges,
    control: { config: config.service, edges: { list: edges.list } },
    start: () => registry.start(new PluginEvents('system', identity, ctx.fabric, ctx.bus)),
    stop: () => registry.stop(),
  };
}
