import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ErrorCode } from './errors.js';

const PAGE = fileURLToPath(new URL('../../../docs/errors.md', import.meta.url));
const page = readFileSync(PAGE, 'utf8');
const codes = new Set<string>(Object.values(ErrorCode));

/** Codes that have a heading (`## HS_ERR_X` or `## \`HS_ERR_X\``). */
const headings = new Set([...page.matchAll(/^#{1,6}\s+`?(HS_ERR_[A-Z0-9_]+)`?\s*$/gm)].map((m) => m[1] as string));
/** Codes that start a table row (`| \`HS_ERR_X\` | ... |`). */
const rows = new Set([...page.matchAll(/^\|\s*`?(HS_ERR_[A-Z0-9_]+)`?\s*\|/gm)].map((m) => m[1] as string));

describe('docs/errors.md', () => {
  test('documents every code in ErrorCode, as a heading or a table row', () => {
    const missing = [...codes].filter((c) => !headings.has(c) && !rows.has(c));
    assert.deepEqual(missing, [], `add these codes to docs/errors.md: ${missing.join(', ')}`);
  });

  test('gives every code its own section (a heading), for links like errors.md#hs_err_closed', () => {
    const missing = [...codes].filter((c) => !headings.has(c));
    assert.deepEqual(missing, [], `add a "## \`CODE\`" section for: ${missing.join(', ')}`);
  });

  test('names no code that does not exist, anywhere on the page', () => {
    const named = new Set([...page.matchAll(/HS_ERR_[A-Z0-9_]*[A-Z0-9]/g)].map((m) => m[0]));
    const unknown = [...named].filter((c) => !codes.has(c));
    assert.deepEqual(unknown, [], `docs/errors.md names codes that ErrorCode lacks: ${unknown.join(', ')}`);
  });

  test('has no code twice as a heading or as a table row', () => {
    const count = (re: RegExp) => {
      const seen = new Map<string, number>();
      for (const m of page.matchAll(re)) seen.set(m[1] as string, (seen.get(m[1] as string) ?? 0) + 1);
      return [...seen].filter(([, n]) => n > 1).map(([c]) => c);
    };
    assert.deepEqual(count(/^#{1,6}\s+`?(HS_ERR_[A-Z0-9_]+)`?\s*$/gm), []);
    assert.deepEqual(count(/^\|\s*`?(HS_ERR_[A-Z0-9_]+)`?\s*\|/gm), []);
  });

  test('every section says when, shows an example and says what to do', () => {
    const sections = page.split(/^(?=## )/m).filter((s) => /^## `?HS_ERR_/.test(s));
    assert.equal(sections.length, codes.size);
    for (const s of sections) {
      const code = /HS_ERR_[A-Z0-9_]+/.exec(s)?.[0];
      for (const part of ['**When.**', '**Example.**', '**What to do.**']) {
        assert.ok(s.includes(part), `${code}: section lacks ${part}`);
      }
    }
  });

  test("examples in a section start with that section's code", () => {
    for (const s of page.split(/^(?=## )/m).filter((x) => /^## `?HS_ERR_/.test(x))) {
      const code = /HS_ERR_[A-Z0-9_]+/.exec(s)?.[0] as string;
      for (const block of s.matchAll(/```\n([\s\S]*?)```/g)) {
        const first = (block[1] as string).split('\n')[0] as string;
        assert.ok(first.startsWith(code), `${code}: example ${JSON.stringify(first)} does not start with the code`);
      }
    }
  });
});
