// Scenario 4 (worker side): DirLocal dispatch inside one node, and a node:events EventEmitter for comparison.
import { EventEmitter } from 'node:events';
import type { ControlPlane } from '@hubspoke/control-plane';
import { Direction } from '@hubspoke/sdk';
import type { Commands } from '../worker.js';
import { benchControlPlane } from '../lib/nodes.js';
import { now, readStamp, stampedPayload } from '../lib/util.js';

export function create(): Commands {
  let control: ControlPlane | undefined;
  let seq = 0;
  return {
    async setup(a: { url: string }) {
      control = await benchControlPlane(a.url);
      return {};
    },

    /** `await events.publishRaw(topic, payload, Local)` `count` times; one subscriber on the same node. */
    async fabric(a: { count: number; size: number }) {
      const ev = (control as ControlPlane).events;
      const topic = `bench.local${++seq}`;
      let got = 0;
      let sum = 0;
      const id = await ev.subscribe(topic, (e) => {
        got++;
        sum += readStamp(e.raw);
      });
      const t0 = now();
      for (let i = 0; i < a.count; i++) await ev.publishRaw(topic, stampedPayload(a.size), Direction.Local);
      while (got < a.count && now() - t0 < 30000) await new Promise((r) => setImmediate(r));
      const ms = now() - t0;
      await ev.unsubscribe(id);
      return { rate: got / (ms / 1000), got, dropped: (control as ControlPlane).node.counters.dropped, sum: sum > 0 };
    },

    /** The same loop with an EventEmitter: emit is synchronous, the listener runs inside it. */
    async emitter(a: { count: number; size: number }) {
      const em = new EventEmitter();
      let got = 0;
      let sum = 0;
      em.on('bench', (p: Uint8Array) => {
        got++;
        sum += readStamp(p);
      });
      const t0 = now();
      for (let i = 0; i < a.count; i++) {
        em.emit('bench', stampedPayload(a.size));
        await undefined;
      }
      const ms = now() - t0;
      return { rate: got / (ms / 1000), got, sum: sum > 0 };
    },

    async close() {
      await control?.close();
      return {};
    },
  };
}
