import { styleText } from 'node:util';
import { BasePlugin, Direction, type Context, type Event, type SessionAware } from '@hubspoke/sdk';

/** Which way an event went, as one node saw it arrive. */
export type FlowKind = 'up' | 'down' | 'local';

/** One event worth a line: where it came from, where it arrived, what it carried. */
export interface Flow {
  kind: FlowKind;
  from: string;
  to: string;
  /** Down only: the namespace or edge it was addressed to (`all` for every edge). */
  target?: string;
  event: Event;
}

function originNode(origin: string): string {
  return origin.slice(origin.lastIndexOf('@') + 1);
}

/**
 * What an event seen by `nodeId` shows of the fabric. Each crossing is shown once, where it arrives: Up events
 * on the control plane (Local there, with the sending edge set), Down events on each edge that receives them
 * (Local there, from `control`). A node's own copies of what it sent are skipped; its Local events are shown.
 */
export function describeFlow(nodeId: string, ev: Event): Flow | undefined {
  if (ev.dir !== Direction.Local) return undefined;
  const from = originNode(ev.origin);
  if (nodeId === 'control' && ev.edgeId !== undefined && from !== 'control') {
    return { kind: 'up', from: ev.edgeId, to: 'control', event: ev };
  }
  if (nodeId !== 'control' && from === 'control') {
    const target =
      ev.edgeId !== undefined ? (ev.namespace ? `${ev.namespace}/${ev.edgeId}` : ev.edgeId) : (ev.namespace ?? 'all');
    return { kind: 'down', from, to: nodeId, target, event: ev };
  }
  if (from === nodeId) return { kind: 'local', from, to: nodeId, event: ev };
  return undefined;
}

function clock(d: Date): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

function payloadText(ev: Event, max = 100): string {
  let text: string;
  try {
    const v = ev.payload;
    text = v instanceof Uint8Array ? `<${v.byteLength} bytes>` : (JSON.stringify(v) ?? '');
  } catch {
    text = `<${ev.raw.byteLength} bytes, not JSON>`;
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The arrow part of a line: `edge-eu-1 ──up──▶ control`, `control ──down(eu)──▶ edge-eu-1`. */
export function arrow(f: Flow): string {
  if (f.kind === 'up') return `${f.from} ──up──▶ ${f.to}`;
  if (f.kind === 'down') return `${f.from} ──down(${f.target ?? 'all'})──▶ ${f.to}`;
  return `${f.from} ··local··`;
}

/** One line per flow, e.g. `12:00:01.123  edge-eu-1 ──up──▶ control      cache.miss        {"key":"user:42"}`. */
export function formatFlow(f: Flow, color = false): string {
  const paint = (style: 'cyan' | 'magenta' | 'gray', s: string): string => (color ? styleText(style, s) : s);
  const style = f.kind === 'up' ? 'cyan' : f.kind === 'down' ? 'magenta' : 'gray';
  return (
    `${paint('gray', clock(f.event.receivedAt))}  ${paint(style, arrow(f).padEnd(34))} ` +
    `${f.event.topic.padEnd(17)} ${payloadText(f.event)}`
  );
}

/** Sees every event of the node it runs on and hands each to `onEvent` (the dev command's printer). */
export class FlowObserver extends BasePlugin implements SessionAware {
  private readonly onEvent: (nodeId: string, ev: Event) => void;

  constructor(onEvent: (nodeId: string, ev: Event) => void) {
    super({ name: 'dev-observer', version: '1.0.0', description: 'prints what flows (hubspoke dev)' });
    this.onEvent = onEvent;
  }

  async onSessionReady(ctx: Context): Promise<void> {
    await ctx.services.events.subscribeAll((ev) => this.onEvent(ctx.nodeId, ev));
  }
}
