/** The wire contract's subjects (DESIGN.md, "Wire contract (v1)"). `_all` addresses every namespace or edge. */
export const ALL = '_all';

export const subjects = {
  up: (ns: string, edge: string, topic: string) => `hs.evt.up.${ns}.${edge}.${topic}`,
  down: (ns: string | undefined, edge: string | undefined, topic: string) =>
    `hs.evt.down.${ns || ALL}.${edge || ALL}.${topic}`,
  /** Everything Up, for the control plane. */
  upAll: 'hs.evt.up.>',
  /** The four Down subjects that can address an edge. */
  downFor: (ns: string, edge: string) => [
    `hs.evt.down.${ALL}.${ALL}.>`,
    `hs.evt.down.${ns}.${ALL}.>`,
    `hs.evt.down.${ALL}.${edge}.>`,
    `hs.evt.down.${ns}.${edge}.>`,
  ],
  payload: (ns: string, edge: string) => `hs.pay.${ns}.${edge}`,
  heartbeat: (ns: string, edge: string) => `hs.hb.${ns}.${edge}`,
  /** An edge's requests to the control plane: `hs.req.<ns>.<edge>` + `.<what>`. */
  request: (ns: string, edge: string) => `hs.req.${ns}.${edge}`,
  inboxPrefix: (ns: string, edge: string) => `_INBOX.${ns}.${edge}`,
  /**
   * True when `reply` is under the edge's own inbox. A request's reply subject is the requester's choice and NATS
   * does not check it against its permissions: the control plane answers an edge only there, or an edge could make
   * it publish onto any subject.
   */
  isInboxOf: (reply: string | undefined, ns: string, edge: string) =>
    reply !== undefined && reply.startsWith(`_INBOX.${ns}.${edge}.`) && !/[\s*>]/.test(reply),
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
