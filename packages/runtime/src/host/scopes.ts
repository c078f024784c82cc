import { isTopic } from '@hubspoke/sdk';

/** What a manifest's scopes grant, parsed once at load. */
export interface Scopes {
  /** Patterns of `events.publish:<pattern>`: a published topic must match one. */
  readonly publish: readonly string[];
  /** Patterns of `events.subscribe:<pattern>`: a subscription pattern must be covered by one. */
  readonly subscribe: readonly string[];
  /** `kv.readwrite`: the plugin's KV. */
  readonly kv: boolean;
  /** `control.send`: `edge.sendToControl`. */
  readonly controlSend: boolean;
  /** `config.read`: `edge.config.get/list`, `control.config.get/list`. */
  readonly configRead: boolean;
  /** `config.write`: `control.config.put/delete`. */
  readonly configWrite: boolean;
  /** `edges.read`: `control.edges.list`. */
  readonly edgesRead: boolean;
}

const FLAGS = {
  'kv.readwrite': 'kv',
  'control.send': 'controlSend',
  'config.read': 'configRead',
  'config.write': 'configWrite',
  'edges.read': 'edgesRead',
} as const;

const PATTERNED = { 'events.publish': 'publish', 'events.subscribe': 'subscribe' } as const;

/** Every scope a manifest may name (`<pattern>` stands for a topic pattern). */
export const SCOPE_NAMES: readonly string[] = [
  'events.publish:<pattern>',
  'events.subscribe:<pattern>',
  ...Object.keys(FLAGS),
];

/** A topic pattern as subscriptions take it: tokens of `[A-Za-z0-9_-]`, `*` for one token, `>` last for the rest. */
function patternProblem(pattern: string): string | undefined {
  if (pattern.length === 0) return 'the pattern is empty';
  const tokens = pattern.split('.');
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as string;
    if (t === '*') continue;
    if (t === '>') {
      if (i !== tokens.length - 1) return '">" must be the last token';
      continue;
    }
    if (!isTopic(t)) return `token ${JSON.stringify(t)} is not 1-64 characters of [A-Za-z0-9_-]`;
  }
  return undefined;
}

/**
 * Parses a manifest's scope strings. Returns what they grant and, separately, one problem per bad scope
 * (an unknown scope, a pattern that is not valid), each naming the scope.
 */
export function parseScopes(scopes: readonly unknown[]): { scopes: Scopes; problems: string[] } {
  const publish: string[] = [];
  const subscribe: string[] = [];
  const flags = { kv: false, controlSend: false, configRead: false, configWrite: false, edgesRead: false };
  const problems: string[] = [];
  for (const s of scopes) {
    if (typeof s !== 'string') {
      problems.push(`scope ${JSON.stringify(s)} is not a string`);
      continue;
    }
    const colon = s.indexOf(':');
    const head = colon < 0 ? s : s.slice(0, colon);
    if (head in PATTERNED) {
      const pattern = colon < 0 ? '' : s.slice(colon + 1);
      const p = patternProblem(pattern);
      if (p) problems.push(`scope "${s}": ${p} (write ${head}:<pattern>, e.g. ${head}:orders.>)`);
      else (PATTERNED[head as keyof typeof PATTERNED] === 'publish' ? publish : subscribe).push(pattern);
    } else if (colon < 0 && s in FLAGS) {
      flags[FLAGS[s as keyof typeof FLAGS]] = true;
    } else {
      problems.push(`scope "${s}" is unknown (known: ${SCOPE_NAMES.join(', ')})`);
    }
  }
  return { scopes: Object.freeze({ publish, subscribe, ...flags }), problems };
}

/**
 * True when every topic that `pattern` matches is also matched by `scope` (both topic patterns, `*` one
 * token, `>` one or more trailing tokens). `a.>` covers `a.b`, `a.*`, `a.b.>` and `a.>`, but not `a`, `*.b` or `>`.
 */
export function covers(scope: string, pattern: string): boolean {
  const s = scope.split('.');
  const p = pattern.split('.');
  for (let i = 0; i < s.length; i++) {
    const st = s[i] as string;
    if (st === '>') return i < p.length;
    const pt = p[i];
    if (pt === undefined || pt === '>') return false;
    if (st !== '*' && (pt === '*' || pt !== st)) return false;
  }
  return p.length === s.length;
}
