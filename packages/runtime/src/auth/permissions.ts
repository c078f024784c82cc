import { sourceApi } from '../wire/outbox-source.js';
import { configSubjects, subjects } from '../wire/subjects.js';

/** What one NATS user may publish and subscribe to (nats-server `permissions` block). */
export interface SubjectPermissions {
  publish: readonly string[];
  subscribe: readonly string[];
  /** `allow_responses`: this user may answer a request it received once, within a minute. */
  allowResponses: { max: number; expires: string };
}

/**
 * The least privilege of an edge's NATS user (NATS-NOTES.md, "Per-edge permissions"): it publishes only under its
 * own `<ns>.<edge>` (Up events, its payload and heartbeat subjects, its requests), and receives only the Down events
 * and config pushes that address it and its own inbox. No `$JS.API`, `$KV` or `_INBOX.>` grant: a consumer's deliver
 * subject is not checked against its creator's permissions, so any JetStream API at the hub would let an edge make
 * the hub deliver stored messages onto other edges' subjects.
 */
export function edgePermissions(namespace: string, edgeId: string): SubjectPermissions {
  return {
    publish: [
      `${subjects.up(namespace, edgeId, '>')}`,
      subjects.payload(namespace, edgeId),
      subjects.heartbeat(namespace, edgeId),
      // Each request by name, not `hs.req.<ns>.<edge>.>`: nats-server 2.9 tells a leaf about the control plane's
      // `hs.req.*.*.<what>` subscription only when a granted subject fits inside it (measured: with `.>` every
      // request through an authenticated leaf met "no responders").
      configSubjects.request(namespace, edgeId),
      subjects.downRequest(namespace, edgeId),
      subjects.outboxRequest(namespace, edgeId),
    ],
    subscribe: [
      ...subjects.downFor(namespace, edgeId),
      ...configSubjects.edgeSubjects(namespace, edgeId),
      `${subjects.inboxPrefix(namespace, edgeId)}.>`,
    ],
    allowResponses: { max: 1, expires: '1m' },
  };
}

/**
 * The edge's leaf user: the edge's permissions, and what the hub's sourcing of the edge's outbox needs over the link
 * (measured on nats-server 2.9.10, docs/security.md "Sourced outboxes"): the hub's JetStream API requests for the
 * leaf's own domain and the flow-control replies come in; the leaf answers those requests (`$JSC.R.`, random reply
 * subjects of the hub's stream; `allow_responses` does not cover a leaf's side) and pushes the outbox under the
 * edge's own deliver prefix, which no other edge may publish on: that is what ties a sourced payload to its edge.
 */
export function leafPermissions(namespace: string, edgeId: string): SubjectPermissions {
  const edge = edgePermissions(namespace, edgeId);
  return {
    publish: [...edge.publish, `${subjects.sourceDeliver(namespace, edgeId)}.>`, '$JSC.R.>'],
    subscribe: [...edge.subscribe, `${sourceApi(edgeId)}.>`, '$JS.FC.>'],
    allowResponses: edge.allowResponses,
  };
}
