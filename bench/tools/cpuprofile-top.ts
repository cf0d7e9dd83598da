/**
 * Summarises a V8 .cpuprofile (from BENCH_CPU_PROF): self time by function, and by file/package.
 *   node --import tsx bench/tools/cpuprofile-top.ts <file.cpuprofile> [top=30]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  readonly id: number;
  readonly children?: readonly number[];
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

function shortUrl(url: string): string {
  if (url === '') return '(native/vm)';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) return url.slice(nm + '/node_modules/'.length);
  const dist = url.indexOf('/dist/');
  if (dist >= 0) return url.slice(dist + 1);
  return url.replace(/^file:\/\//, '');
}

function group(url: string): string {
  const s = shortUrl(url);
  if (s.startsWith('node:')) return s;
  if (s.startsWith('dist/')) return s;
  const parts = s.split('/');
  return s.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? s);
}

const file = process.argv[2];
if (file === undefined) {
  process.stderr.write('usage: cpuprofile-top.ts <file.cpuprofile> [top]\n');
  process.exit(2);
}
const top = Number(process.argv[3] ?? 30);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const keyOf = (node: ProfileNode): string => {
  const f = node.callFrame;
  return `${f.functionName === '' ? '(anonymous)' : f.functionName}  ${shortUrl(f.url)}:${f.lineNumber + 1}`;
};
/** Inclusive time of the project's own functions (dist/), each counted once per sample. */
const inclusiveOwn = new Map<string, number>();
const selfByFn = new Map<string, number>();
const selfByGroup = new Map<string, number>();
let total = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  const node = byId.get(id);
  if (node === undefined) return;
  total += dt;
  const f = node.callFrame;
  const key = keyOf(node);
  const seen = new Set<string>();
  for (let cur: ProfileNode | undefined = node; cur !== undefined; cur = byId.get(parent.get(cur.id) ?? -1)) {
    if (!cur.callFrame.url.includes('/dist/')) continue;
    const k = keyOf(cur);
    if (seen.has(k)) continue;
    seen.add(k);
    inclusiveOwn.set(k, (inclusiveOwn.get(k) ?? 0) + dt);
  }
  selfByFn.set(key, (selfByFn.get(key) ?? 0) + dt);
  const g = f.url === '' ? `(${f.functionName})` : group(f.url);
  selfByGroup.set(g, (selfByGroup.get(g) ?? 0) + dt);
});
const show = (title: string, m: Map<string, number>): void => {
  process.stdout.write(`\n${title} (total ${(total / 1e6).toFixed(2)} s sampled)\n`);
  for (const [k, v] of [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(`${((100 * v) / total).toFixed(1).padStart(6)}%  ${(v / 1000).toFixed(0).padStart(7)} ms  ${k}\n`);
  }
};
show('self time by function', selfByFn);
show('self time by file / package', selfByGroup);
show('inclusive time of the project\'s own functions (dist/)', inclusiveOwn);
