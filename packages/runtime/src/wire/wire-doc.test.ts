import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { WIRE_SUBJECTS, configSubjects, subjects } from './subjects.js';

const PAGE = fileURLToPath(new URL('../../../../docs/wire.md', import.meta.url));
const page = readFileSync(PAGE, 'utf8');
/** The "Subjects" section of docs/wire.md. */
const section = page.slice(page.indexOf('## Subjects'), page.indexOf('\n## ', page.indexOf('## Subjects') + 1));
/** Every backquoted `hs.…` subject of that section. */
const documented = new Set([...section.matchAll(/`(hs\.[^`\s]+(?: or [^`\s]+)*[^`\s]*)`/g)].map((m) => m[1] as string));

/** A pattern as a regular expression: `<x>` is one token or more (topics, keys), `<x or _all>` one token. */
function regexOf(pattern: string): RegExp {
  const body = pattern
    .split(/(<[^>]+>)/)
    .map((part) => {
      if (part === '<topic>' || part === '<key>') return '[\\w-]+(?:\\.[\\w-]+)*';
      if (part.startsWith('<')) return '[\\w-]+';
      return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('');
  return new RegExp(`^${body}$`);
}

describe('docs/wire.md and the wire module', () => {
  test('every subject pattern of the module is documented in docs/wire.md', () => {
    const missing = Object.values(WIRE_SUBJECTS).filter((p) => !documented.has(p));
    assert.deepEqual(missing, [], `add these to the Subjects section of docs/wire.md: ${missing.join(', ')}`);
  });

  test('every subject docs/wire.md documents is one of the module', () => {
    const patterns: string[] = Object.values(WIRE_SUBJECTS);
    // A concrete subject (an example) is fine when it is an instance of a pattern.
    const unknown = [...documented].filter((d) => !patterns.includes(d) && !patterns.some((p) => regexOf(p).test(d)));
    assert.deepEqual(unknown, [], `docs/wire.md names subjects the wire module lacks: ${unknown.join(', ')}`);
  });

  test('each builder makes subjects of its documented pattern', () => {
    const cases: [keyof typeof WIRE_SUBJECTS, string][] = [
      ['up', subjects.up('eu', 'edge-1', 'cache.invalidate')],
      ['down', subjects.down('eu', undefined, 'cache.invalidate')],
      ['down', subjects.down(undefined, 'edge-1', 't')],
      ['payload', subjects.payload('eu', 'edge-1')],
      ['outbox', subjects.outbox('eu', 'edge-1')],
      ['payloadStream', subjects.payloadStream('eu', 'edge-1')],
      ['sourceDeliver', `${subjects.sourceDeliver('eu', 'edge-1')}.>`],
      ['outboxRequest', subjects.outboxRequest('eu', 'edge-1')],
      ['downKept', subjects.downKept('', 'edge-1', 'a.b')],
      ['deadLetter', subjects.deadLetter('eu', 'edge-1')],
      ['heartbeat', subjects.heartbeat('eu', 'edge-1')],
      ['request', `${subjects.request('eu', 'edge-1')}.things`],
      ['downRequest', subjects.downRequest('eu', 'edge-1')],
      ['configRequest', configSubjects.request('eu', 'edge-1')],
      ['configPush', configSubjects.push('_all', 'feature.x')],
      ['configPush', configSubjects.push('eu', 'plugin.cache')],
      ['configResync', configSubjects.resync('eu', 'edge-1')],
    ];
    for (const [key, subject] of cases) assert.match(subject, regexOf(WIRE_SUBJECTS[key]), key);
    assert.equal(subjects.upAll, WIRE_SUBJECTS.upAll);
    assert.equal(subjects.payloadAll, WIRE_SUBJECTS.payloadAll);
    assert.equal(subjects.downKeptAll, WIRE_SUBJECTS.downKeptAll);
    assert.equal(subjects.deadLetterAll, WIRE_SUBJECTS.deadLetterAll);
    assert.equal(subjects.heartbeatAll, WIRE_SUBJECTS.heartbeatAll);
    assert.equal(subjects.downRequestAll, WIRE_SUBJECTS.downRequestAll);
    assert.equal(configSubjects.requestAll, WIRE_SUBJECTS.configRequestAll);
    assert.equal(subjects.payloadStreamAll, WIRE_SUBJECTS.payloadStreamAll);
    assert.equal(subjects.outboxRequestAll, WIRE_SUBJECTS.outboxRequestAll);
    // Payload filters take published (`hs.pay`) and sourced (`hs.outbox`) payloads.
    assert.equal(subjects.filter('pay', 'eu', ''), 'hs.*.eu.*');
    assert.equal(subjects.filter('dlq', '', 'edge-1'), 'hs.dlq.*.edge-1');
    assert.equal(subjects.filter('pay', '', ''), 'hs.*.*.*');
  });
});
