import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FastifyBaseLogger } from 'fastify';
import { pino, type LoggerOptions } from 'pino';
import { accessLogger, type AccessEntry } from '../../src/http/access-log.js';

function capture(options: LoggerOptions = {}): { root: FastifyBaseLogger; lines: string[] } {
  const lines: string[] = [];
  const root = pino({ level: 'info', ...options }, { write: (s: string) => lines.push(s) });
  return { root, lines };
}

const entries: AccessEntry[] = [
  { method: 'GET', url: '/api/cluster/jobs/1', status: 200, ms: 0.4, user: 'admin', remote: '127.0.0.1' },
  {
    method: 'POST',
    url: '/api/x?q="\\\n\u0001é\ud800',
    status: 401,
    ms: 12,
    user: undefined,
    remote: undefined,
  },
  { method: 'GET', url: '/', status: 404, ms: Number.NaN, user: 'a"b', remote: '::1' },
];

/** A line without its time, which differs between two writes. */
function withoutTime(line: string): Record<string, unknown> {
  const parsed = JSON.parse(line) as Record<string, unknown>;
  assert.equal(typeof parsed.time, 'number');
  delete parsed.time;
  return parsed;
}

void describe('access log line', () => {
  void it('is the line pino writes for info(entry, "request")', () => {
    const { root, lines } = capture();
    const log = accessLogger(root);
    for (const entry of entries) {
      const child = root.child({ reqId: 'req-7' });
      log(child, entry);
      child.info({ ...entry }, 'request');
      const [ours, theirs] = lines.splice(0, 2);
      assert.ok(ours !== undefined && theirs !== undefined);
      assert.ok(ours.endsWith('}\n'));
      assert.deepEqual(withoutTime(ours), withoutTime(theirs));
      assert.deepEqual(Object.keys(JSON.parse(ours) as object), Object.keys(JSON.parse(theirs) as object));
    }
  });

  void it('follows the request logger level', () => {
    const { root, lines } = capture();
    const log = accessLogger(root);
    const quiet = root.child({ reqId: 'r' }, { level: 'warn' });
    log(quiet, entries[0] as AccessEntry);
    assert.equal(lines.length, 0);
    const { root: warnRoot, lines: warnLines } = capture({ level: 'warn' });
    accessLogger(warnRoot)(warnRoot.child({ reqId: 'r' }), entries[0] as AccessEntry);
    assert.equal(warnLines.length, 0);
  });

  void it('leaves loggers with a mixin or a log formatter to pino', () => {
    for (const options of [
      { mixin: () => ({ extra: 1 }) },
      { formatters: { log: (o: object) => ({ ...o, f: true }) } },
    ]) {
      const { root, lines } = capture(options);
      accessLogger(root)(root.child({ reqId: 'r' }), entries[0] as AccessEntry);
      const line = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
      assert.ok(line.extra === 1 || line.f === true, 'pino applied the option');
      assert.equal(line.msg, 'request');
    }
  });

  void it('sends other loggers the same fields through info()', () => {
    const calls: unknown[][] = [];
    const fake = {
      level: 'info',
      info: (...args: unknown[]) => calls.push(args),
    } as unknown as FastifyBaseLogger;
    accessLogger(fake)(fake, entries[0] as AccessEntry);
    assert.deepEqual(calls, [[{ ...entries[0] }, 'request']]);
  });
});
