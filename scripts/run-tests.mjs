#!/usr/bin/env node
// Node 20's --test does not expand globs, so this lists the test files per layer and runs them once.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const layers = ['unit', 'contract', 'integration', 'e2e'];
const wanted = process.argv.slice(2);
const chosen = wanted.length > 0 ? wanted : layers;

function collect(dir) {
  let out = [];
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries.sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out = out.concat(collect(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const files = chosen.flatMap((layer) => (layer.endsWith('.ts') ? [layer] : collect(join('test', layer))));
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  ['--test', '--test-concurrency=2', '--test-timeout=600000', '--import', 'tsx', ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
