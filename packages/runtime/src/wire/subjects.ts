/**
 * The wire contract's subjects, all of them, in one place (DESIGN.md "Wire contract"; docs/wire.md lists each
 * pattern of {@link WIRE_SUBJECTS}, and `wire-doc.test.ts` keeps that page and this module in step).
 * `_all` addresses every namespace or edge; it is why names may not start with `_`.
 */
export const ALL = '_all';

/** Every subject pattern of the wire, as docs/wire.md writes it. */
export const WIRE_SUBJECTS = {
  up: 'hs.evt.up.<ns>.<edge>.<topic>',
  upAll: 'hs.evt.up.>',
  down: 'hs.evt.down.<ns or _all>.<edge or _all>.<topic>',
  payload: 'hs.pay.<ns>.<edge>',
  payloadAll: 'hs.pay.>',
  outbox: 'hs.outbox.<ns>.<edge>',
  payloadStream: 'hs.*.<ns>.<edge>',
  payloadStreamAll: 'hs.*.*.*',
  sourceDeliver: 'hs.src.<ns>.<edge>.>',
  downKept: 'hs.devt.<ns or _all>.<edge or _all>.<topic>',
  downKeptAll: 'hs.devt.>',
  deadLetter: 'hs.dlq.<ns>.<edge>',
  deadLetterAll: 'hs.dlq.>',
  heartbeat: 'hs.hb.<ns>.<edge>',
  heartbeatAll: 'hs.hb.*.*',
  request: 'hs.req.<ns>.<edge>.<what>',
  downRequest: 'hs.req.<ns>.<edge>.down',
  downRequestAll: 'hs.req.*.*.down',
  configRequest: 'hs.req.<ns>.<edge>.config',
  configRequestAll: 'hs.req.*.*.config',
  outboxRequest: 'hs.req.<ns>.<edge>.outbox',
  outboxRequestAll: 'hs.req.*.*.outbox',
  configPush: 'hs.cfg.<ns or _all>._all.<key>',
  configResync: 'hs.cfg.<ns>.<edge>._resync',
} as const;

const or = (name: string | undefined): string => name || ALL;

export const subjects = {
  up: (ns: string, edge: string, topic: string) => `hs.evt.up.${ns}.${edge}.${topic}`,
  down: (ns: string | undefined, edge: string | undefined, topic: string) =>
    `hs.evt.down.${or(ns)}.${or(edge)}.${topic}`,
  /** Everything Up, for the control plane. */
  upAll: WIRE_SUBJECTS.upAll,
  /** The four Down subjects that can address an edge. */
  downFor: (ns: string, edge: string) => [
    `hs.evt.down.${ALL}.${ALL}.>`,
    `hs.evt.down.${ns}.${ALL}.>`,
    `hs.evt.down.${ALL}.${edge}.>`,
    `hs.evt.down.${ns}.${edge}.>`,
  ],
  payload: (ns: string, edge: string) => `hs.pay.${ns}.${edge}`,
  /** The payload stream's subjects (`HS_PAYLOADS`). */
  payloadAll: WIRE_SUBJECTS.payloadAll,
  /**
   * An edge's outbox in its leaf (`HS_OUTBOX_<id>`). Published at the edge only; the hub's `HS_PAYLOADS` sources it
   * from there and keeps this subject (docs/payloads.md "Sourced outboxes").
   */
  outbox: (ns: string, edge: string) => `hs.outbox.${ns}.${edge}`,
  /** One edge's payloads in `HS_PAYLOADS`: published (`hs.pay`) and sourced from its outbox (`hs.outbox`). */
  payloadStream: (ns: string, edge: string) => `hs.*.${ns}.${edge}`,
  /** Every subject `HS_PAYLOADS` holds (its own `hs.pay.>` and the sourced `hs.outbox.*.*`). */
  payloadStreamAll: WIRE_SUBJECTS.payloadStreamAll,
  /** The deliver prefix of the hub's source of an edge's outbox: only that edge's leaf may publish under it. */
  sourceDeliver: (ns: string, edge: string) => `hs.src.${ns}.${edge}`,
  /** An edge asks the control plane to source its outbox, and how far the hub has it. */
  outboxRequest: (ns: string, edge: string) => `hs.req.${ns}.${edge}.outbox`,
  outboxRequestAll: WIRE_SUBJECTS.outboxRequestAll,
  /** Where a durable Down event is kept at the hub (`HS_DOWN`). */
  downKept: (ns: string | undefined, edge: string | undefined, topic: string) =>
    `hs.devt.${or(ns)}.${or(edge)}.${topic}`,
  downKeptAll: WIRE_SUBJECTS.downKeptAll,
  /** Where a dead letter is kept (`HS_DLQ`). */
  deadLetter: (ns: string, edge: string) => `hs.dlq.${ns}.${edge}`,
  deadLetterAll: WIRE_SUBJECTS.deadLetterAll,
  /** The subject selecting one edge, one namespace, or all under `hs.pay` / `hs.dlq` (filters of the admin API). */
  filter: (kind: 'pay' | 'dlq', ns: string, edge: string) =>
    kind === 'pay'
      ? `hs.*.${ns || '*'}.${edge || '*'}`
      : !ns && !edge
        ? `hs.${kind}.>`
        : `hs.${kind}.${ns || '*'}.${edge || '*'}`,
  heartbeat: (ns: string, edge: string) => `hs.hb.${ns}.${edge}`,
  heartbeatAll: WIRE_SUBJECTS.heartbeatAll,
  /** An edge's requests to the control plane: `hs.req.<ns>.<edge>` + `.<what>`. */
  request: (ns: string, edge: string) => `hs.req.${ns}.${edge}`,
  downRequest: (ns: string, edge: string) => `hs.req.${ns}.${edge}.down`,
  downRequestAll: WIRE_SUBJECTS.downRequestAll,
  inboxPrefix: (ns: string, edge: string) => `_INBOX.${ns}.${edge}`,
  /**
   * True when `reply` is under the edge's own inbox. A request's reply subject is the requester's choice and NATS
   * does not check it against its permissions: the control plane answers an edge only there, or an edge could make
   * it publish onto any subject.
   */
  isInboxOf: (reply: string | undefined, ns: string, edge: string) =>
    reply !== undefined && reply.startsWith(`_INBOX.${ns}.${edge}.`) && !/[\s*>]/.test(reply),
} as const;

/** Config subjects. */
export const configSubjects = {
  /** Where a change of `key` in `scope` is pushed. */
  push: (scope: string, key: string) => `hs.cfg.${scope}.${ALL}.${key}`,
  /** The config subjects that can address an edge. */
  edgeSubjects: (ns: string, edge: string) => [
    `hs.cfg.${ALL}.${ALL}.>`,
    `hs.cfg.${ns}.${ALL}.>`,
    `hs.cfg.${ALL}.${edge}.>`,
    `hs.cfg.${ns}.${edge}.>`,
  ],
  /** Tells one edge to ask for its snapshot (the key `_resync` is reserved for it). */
  resync: (ns: string, edge: string) => `hs.cfg.${ns}.${edge}._resync`,
  /** Where edges ask for their snapshot: `hs.req.<ns>.<edge>.config`. */
  request: (ns: string, edge: string) => `hs.req.${ns}.${edge}.config`,
  requestAll: WIRE_SUBJECTS.configRequestAll,
} as const;

/** An event subject taken apart: `hs.evt.<dir>.<ns>.<edge>.<topic>`. */
export interface ParsedEventSubject {
  dir: 'up' | 'down';
  namespace: string;
  edgeId: string;
  topic: string;
}

/** Splits an event subject; undefined when it is not one. */
export function parseEventSubject(subject: string): ParsedEventSubject | undefined {
  let dir: 'up' | 'down';
  let i: number;
  if (subject.startsWith('hs.evt.up.')) {
    dir = 'up';
    i = 10;
  } else if (subject.startsWith('hs.evt.down.')) {
    dir = 'down';
    i = 12;
  } else return undefined;
  const a = subject.indexOf('.', i);
  if (a <= i) return undefined;
  const b = subject.indexOf('.', a + 1);
  if (b < 0 || b === a + 1 || b === subject.length - 1) return undefined;
  return { dir, namespace: subject.slice(i, a), edgeId: subject.slice(a + 1, b), topic: subject.slice(b + 1) };
}

/** `<scope>.<edge>` of a subject under a two-token prefix (`hs.pay.`, `hs.dlq.`, `hs.hb.`). */
export function edgeKeyOf(subject: string, kind: 'pay' | 'dlq' | 'hb'): string | undefined {
  const prefix = `hs.${kind}.`;
  return subject.startsWith(prefix) ? subject.slice(prefix.length) : undefined;
}
