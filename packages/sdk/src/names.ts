import { ErrorCode, HubspokeError } from './errors.js';

const TOKEN = /^[A-Za-z0-9_-]{1,64}$/;

/** What a name is, for error messages. */
export type NameKind = 'namespace' | 'edge id' | 'plugin name' | 'node id';

/**
 * Checks a namespace, edge id or plugin name: 1–64 of `[A-Za-z0-9_-]`, not starting with `_` (reserved).
 * @throws HubspokeError `HS_ERR_INVALID_NAME`
 */
export function assertName(kind: NameKind, value: unknown): asserts value is string {
  if (typeof value !== 'string' || !TOKEN.test(value) || value.startsWith('_')) {
    throw new HubspokeError(
      ErrorCode.InvalidName,
      `${kind} ${JSON.stringify(value)} is invalid: use 1-64 characters of [A-Za-z0-9_-], not starting with "_"`,
    );
  }
}

/** True when the string is a valid name (see {@link assertName}). */
export function isName(value: string): boolean {
  return TOKEN.test(value) && !value.startsWith('_');
}

function topicProblem(topic: unknown, pattern: boolean): string | undefined {
  if (typeof topic !== 'string' || topic.length === 0) return 'it is empty';
  if (topic.length > 512) return 'it is longer than 512 characters';
  const tokens = topic.split('.');
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as string;
    if (t.length === 0) return `token ${i + 1} is empty`;
    if (t === '*' || t === '>') {
      if (!pattern) return `wildcard "${t}" is not allowed in a published topic`;
      if (t === '>' && i !== tokens.length - 1) return '">" must be the last token';
      continue;
    }
    if (!TOKEN.test(t)) return `token ${JSON.stringify(t)} has characters outside [A-Za-z0-9_-] or is longer than 64`;
  }
  return undefined;
}

/**
 * Checks a topic to publish: dot-separated tokens of `[A-Za-z0-9_-]`, no wildcards.
 * @throws HubspokeError `HS_ERR_INVALID_TOPIC`
 */
export function assertTopic(topic: unknown): asserts topic is string {
  const p = topicProblem(topic, false);
  if (p) throw new HubspokeError(ErrorCode.InvalidTopic, `topic ${JSON.stringify(topic)} is invalid: ${p}`);
}

/**
 * Checks a subscription pattern: like a topic, with `*` for one token and `>` for the rest.
 * @throws HubspokeError `HS_ERR_INVALID_TOPIC`
 */
export function assertTopicPattern(pattern: unknown): asserts pattern is string {
  const p = topicProblem(pattern, true);
  if (p) throw new HubspokeError(ErrorCode.InvalidTopic, `pattern ${JSON.stringify(pattern)} is invalid: ${p}`);
}

/** True when the topic is valid to publish. */
export function isTopic(topic: string): boolean {
  return topicProblem(topic, false) === undefined;
}
