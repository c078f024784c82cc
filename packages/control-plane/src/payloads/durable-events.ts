import type { Envelope } from '@hubspoke/sdk';
import type { Middleware } from './pipeline.js';

/**
 * Durable Up events travel in the edge's payload stream (so they keep their place among its payloads) but are
 * not payloads: they go to this control plane's subscribers as Local, like a live Up event, and never to
 * receivers, retries or dead letters.
 */
export function durableEventStep(deliver: (env: Envelope) => void): Middleware {
  return (next) => (d) => {
    if (!d.env?.topic) return next(d);
    deliver(d.env);
    return Promise.resolve({ kind: 'event' });
  };
}
