import {
  ErrorCode,
  HubspokeError,
  capabilities,
  isName,
  type Manifest,
  type Plugin,
  type Schedule,
} from '@hubspoke/sdk';
import { parseScopes, type Scopes } from './scopes.js';

/** A plugin's manifest after checking: a frozen copy, and what its scopes grant. */
export interface CheckedManifest {
  readonly manifest: Readonly<Manifest>;
  readonly scopes: Scopes;
}

const MAX_TIMEOUT_MS = 2 ** 31 - 1;

function checkSchedules(value: unknown, problems: string[]): Schedule[] {
  if (!Array.isArray(value)) {
    problems.push('schedules must be an array of { id, cron, timeoutMs? }');
    return [];
  }
  const out: Schedule[] = [];
  const ids = new Set<string>();
  value.forEach((s: unknown, i) => {
    const where = `schedules[${i}]`;
    if (typeof s !== 'object' || s === null)
      return void problems.push(`${where} must be an object { id, cron, timeoutMs? }`);
    const { id, cron, timeoutMs } = s as Record<string, unknown>;
    let ok = true;
    if (typeof id !== 'string' || !isName(id)) {
      problems.push(
        `${where}.id ${JSON.stringify(id)} must be 1-64 characters of [A-Za-z0-9_-], not starting with "_"`,
      );
      ok = false;
    } else if (ids.has(id)) {
      problems.push(`${where}.id "${id}" is used twice`);
      ok = false;
    } else ids.add(id);
    if (typeof cron !== 'string' || cron.trim() === '') {
      problems.push(`${where}.cron must be a cron expression such as "*/5 * * * *"`);
      ok = false;
    }
    if (
      timeoutMs !== undefined &&
      (!Number.isInteger(timeoutMs) || (timeoutMs as number) < 1 || (timeoutMs as number) > MAX_TIMEOUT_MS)
    ) {
      problems.push(`${where}.timeoutMs ${JSON.stringify(timeoutMs)} must be an integer from 1 to ${MAX_TIMEOUT_MS}`);
      ok = false;
    }
    if (ok) {
      out.push(
        Object.freeze({
          id: id as string,
          cron: cron as string,
          ...(timeoutMs === undefined ? {} : { timeoutMs: timeoutMs as number }),
        }),
      );
    }
  });
  return out;
}

/**
 * Reads and checks a plugin's manifest, if it has one (`getManifest()`): the name must be the plugin's,
 * the version a non-empty string, every scope known and well formed, every schedule well formed (its cron is
 * parsed by the control plane, which runs schedules), and a plugin with schedules must implement
 * `executeScheduledTask`. Returns `undefined` for a plugin without a manifest (it may do everything).
 * @throws HubspokeError `HS_ERR_PLUGIN` naming the plugin and every problem found
 */
export function checkManifest(plugin: Plugin): CheckedManifest | undefined {
  if (!capabilities.isManifestProvider(plugin)) return undefined;
  const name = plugin.info.name;
  let m: unknown;
  try {
    m = plugin.getManifest();
  } catch (cause) {
    throw new HubspokeError(
      ErrorCode.Plugin,
      `plugin ${name}: getManifest() threw: ${(cause as Error)?.message ?? String(cause)}`,
      {
        cause,
      },
    );
  }
  if (typeof m !== 'object' || m === null || Array.isArray(m)) {
    throw new HubspokeError(
      ErrorCode.Plugin,
      `plugin ${name}: getManifest() must return { name, version, scopes, schedules? }`,
    );
  }
  const raw = m as Record<string, unknown>;
  const problems: string[] = [];
  if (raw['name'] !== name) problems.push(`name ${JSON.stringify(raw['name'])} is not the plugin's name "${name}"`);
  if (typeof raw['version'] !== 'string' || raw['version'] === '') problems.push('version must be a non-empty string');
  let scopes: Scopes | undefined;
  if (!Array.isArray(raw['scopes'])) {
    problems.push('scopes must be an array of strings (an empty array grants nothing)');
  } else {
    const parsed = parseScopes(raw['scopes'] as unknown[]);
    problems.push(...parsed.problems);
    scopes = parsed.scopes;
  }
  const schedules = raw['schedules'] === undefined ? undefined : checkSchedules(raw['schedules'], problems);
  if (schedules?.length && !capabilities.isSchedulerPlugin(plugin)) {
    problems.push('it declares schedules but has no executeScheduledTask(ctx, schedule) method');
  }
  if (problems.length > 0 || !scopes) {
    throw new HubspokeError(ErrorCode.Plugin, `plugin ${name}: manifest is invalid: ${problems.join('; ')}`);
  }
  const manifest: Manifest = {
    name,
    version: raw['version'] as string,
    scopes: Object.freeze([...(raw['scopes'] as string[])]) as string[],
    ...(schedules ? { schedules: Object.freeze(schedules) as Schedule[] } : {}),
  };
  return Object.freeze({ manifest: Object.freeze(manifest), scopes });
}
