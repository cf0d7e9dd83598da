import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { errors, failures, type OntapError, type JobFailure } from '../../src/core/errors.js';
import { STATUS_BY_KIND } from '../../src/http/error-handler.js';

interface Row {
  readonly section: 'request' | 'job';
  readonly factory: string;
  readonly code: string;
  readonly status: string;
}

function documentedRows(): Row[] {
  const text = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  const rows: Row[] = [];
  let section: 'request' | 'job' | null = null;
  for (const line of text.split('\n')) {
    if (line.startsWith('## Request errors')) section = 'request';
    else if (line.startsWith('## Job failures')) section = 'job';
    const m = /^\| `(\w+)` \| ([^|]+) \| ([^|]+) \|/.exec(line);
    if (m !== null && section !== null) rows.push({ section, factory: m[1] ?? '', code: (m[2] ?? '').trim(), status: (m[3] ?? '').trim() });
  }
  return rows;
}

const placeholder = (name: string, n: number): unknown[] =>
  Array.from({ length: n }, () => (name === 'repositoryEmpty' ? 'not_found' : 'x'));

test('every request error of the catalogue is documented with its code and status, and nothing else is', () => {
  const rows = documentedRows().filter((r) => r.section === 'request');
  const documented = new Map(rows.map((r) => [r.factory, r]));
  for (const [name, factory] of Object.entries(errors)) {
    const row = documented.get(name);
    assert.ok(row, `errors.${name} is missing from docs/errors.md`);
    const err = (factory as (...a: unknown[]) => OntapError)(...placeholder(name, factory.length));
    assert.equal(row.code, err.code, `code of errors.${name}`);
    assert.equal(row.status, String(STATUS_BY_KIND[err.kind]), `status of errors.${name}`);
    assert.match(err.code, /^\d+$/, 'codes are numeric strings');
  }
  for (const r of rows) assert.ok(r.factory in errors, `docs/errors.md names errors.${r.factory}, which does not exist`);
});

test('every job failure of the catalogue is documented with its code, and nothing else is', () => {
  const rows = documentedRows().filter((r) => r.section === 'job');
  const documented = new Map(rows.map((r) => [r.factory, r]));
  const dynamic = new Set(['interrupted', 'rejectedRequest']);
  for (const [name, factory] of Object.entries(failures)) {
    const row = documented.get(name);
    assert.ok(row, `failures.${name} is missing from docs/errors.md`);
    if (dynamic.has(name)) continue;
    const f = (factory as (...a: unknown[]) => JobFailure)(...placeholder(name, factory.length));
    assert.equal(row.code, f.code, `code of failures.${name}`);
    assert.match(f.code, /^\d+$/);
  }
  for (const r of rows) assert.ok(r.factory in failures, `docs/errors.md names failures.${r.factory}, which does not exist`);
});
