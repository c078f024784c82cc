import { createHash } from 'node:crypto';
import { ErrorCode, HubspokeError, isName } from '@hubspoke/sdk';
import { ALL } from '../wire/subjects.js';

/**
 * One config object as the control plane stores it and pushes it: its scope (`_all` for global, else a
 * namespace), its key, the store's revision, and its JSON value, or `deleted` for a key that is gone.
 */
export interface ConfigRecord {
  scope: string;
  key: string;
  revision: number;
  value?: unknown;
  deleted?: boolean;
  /**
   * The id of the config store the revision counts in (a rebuilt store starts its revisions again): an edge
   * compares revisions only between records of one store. Absent from control planes before it existed.
   */
  store?: string;
}

/** The largest config value, as JSON. */
export const MAX_CONFIG_VALUE_BYTES = 256 * 1024;
const MAX_KEY_LENGTH = 256;
const TOKEN = /^[A-Za-z0-9_-]{1,64}$/;

/** Why a config key is invalid, or undefined: dot-separated tokens of `[A-Za-z0-9_-]`, not starting with `_`. */
export function configKeyProblem(key: unknown): string | undefined {
  if (typeof key !== 'string' || key.length === 0) return 'it is empty';
  if (key.length > MAX_KEY_LENGTH) return `it is longer than ${MAX_KEY_LENGTH} characters`;
  if (key.startsWith('_')) return 'keys starting with "_" are reserved';
  const tokens = key.split('.');
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as string;
    if (!TOKEN.test(t)) return `token ${i + 1} (${JSON.stringify(t)}) must be 1-64 characters of [A-Za-z0-9_-]`;
  }
  return undefined;
}

/** @throws HubspokeError `HS_ERR_INVALID_KEY` naming the key and the problem */
export function assertConfigKey(key: unknown): asserts key is string {
  const p = configKeyProblem(key);
  if (p) throw new HubspokeError(ErrorCode.InvalidKey, `config key ${JSON.stringify(key)} is invalid: ${p}`);
}

/** The scope of an optional namespace: `_all` for global. @throws `HS_ERR_INVALID_NAME` */
export function configScope(namespace: string | undefined): string {
  if (namespace === undefined || namespace === '') return ALL;
  if (!isName(namespace)) {
    throw new HubspokeError(
      ErrorCode.InvalidName,
      `namespace ${JSON.stringify(namespace)} is invalid: use 1-64 characters of [A-Za-z0-9_-], not starting with "_"`,
    );
  }
  return namespace;
}

/**
 * Checks that a config value is plain JSON and small enough, and returns its JSON text.
 * @throws HubspokeError `HS_ERR_CONFIG_INVALID` naming the key
 */
export function configValueJson(key: string, value: unknown): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (cause) {
    throw new HubspokeError(
      ErrorCode.ConfigInvalid,
      `config ${key}: the value is not JSON (${(cause as Error).message})`,
    );
  }
  if (json === undefined)
    throw new HubspokeError(ErrorCode.ConfigInvalid, `config ${key}: the value is not JSON (${typeof value})`);
  if (Buffer.byteLength(json) > MAX_CONFIG_VALUE_BYTES) {
    throw new HubspokeError(
      ErrorCode.ConfigInvalid,
      `config ${key}: the value is ${Buffer.byteLength(json)} bytes as JSON, above the limit of ${MAX_CONFIG_VALUE_BYTES}`,
    );
  }
  return json;
}

/** The key of a record in a flat map: `<scope>/<key>`. */
export const recordId = (scope: string, key: string): string => `${scope}/${key}`;

/**
 * A digest of the records an edge should see (or has): their scopes, keys and revisions. Equal digests mean
 * nothing to send; the edge puts its digest in its snapshot requests and heartbeats.
 */
export function configDigest(records: Iterable<Pick<ConfigRecord, 'scope' | 'key' | 'revision'>>): string {
  const lines: string[] = [];
  for (const r of records) lines.push(`${r.scope}/${r.key}@${r.revision}`);
  lines.sort();
  return createHash('sha256').update(lines.join('\n')).digest('base64url').slice(0, 22);
}

/** Decodes a pushed or stored record; a reason string when it is not one. */
export function parseConfigRecord(v: unknown): ConfigRecord | string {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'not a JSON object';
  const r = v as Record<string, unknown>;
  if (typeof r['scope'] !== 'string' || (r['scope'] !== ALL && !isName(r['scope'])))
    return 'scope: not _all or a namespace';
  const kp = configKeyProblem(r['key']);
  if (kp) return `key: ${kp}`;
  const rev = r['revision'];
  if (typeof rev !== 'number' || !Number.isSafeInteger(rev) || rev < 1) return 'revision: not a positive integer';
  if (r['deleted'] !== undefined && r['deleted'] !== true) return 'deleted: must be true when present';
  if (r['deleted'] !== true && !('value' in r)) return 'value: missing';
  if (r['store'] !== undefined && (typeof r['store'] !== 'string' || r['store'] === ''))
    return 'store: must be a non-empty string when present';
  return r as unknown as ConfigRecord;
}

/** What the control plane answers to a snapshot request, one message each (JSON). */
export type SnapshotReply =
  | { unchanged: true; digest: string; store?: string }
  | { records: ConfigRecord[] }
  | { done: true; digest: string; count: number; store?: string };

/**
 * A snapshot request: the digest of what the edge holds and the id of the store its records came from. The
 * control plane answers `unchanged` only when both match; otherwise it sends every record the edge should see.
 */
export interface SnapshotRequest {
  digest?: string | undefined;
  store?: string | undefined;
}
