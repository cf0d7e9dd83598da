import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../src/core/ports/clock.js';
import { startHttpOrigin } from '../helpers/http-origin.js';
import { jobHrefOf } from '../helpers/wait-for-job.js';
import { startTestServer } from '../helpers/with-server.js';

test('a finished job stays visible for the retention period after end_time, then is gone (404), while /download keeps its outcome', async (t) => {
  const clock = new ManualClock(new Date('2025-03-28T14:00:00Z'));
  const origin = await startHttpOrigin({ files: {}, modes: { '/gone.tgz': { kind: 'notFound' } } });
  t.after(() => origin.close());
  const srv = await startTestServer(t, { clock, config: { jobRetentionSeconds: 300 } });

  const res = await srv.api('POST', '/api/cluster/software/download?return_timeout=30', {
    body: { url: `${origin.url}/gone.tgz` },
  });
  assert.equal(res.status, 400);
  const href = String(res.headers.location);
  const job = await srv.api('GET', href);
  assert.equal(job.status, 200);
  assert.equal(
    (job.json as { end_time: string }).end_time,
    '2025-03-28T14:00:00+00:00',
    'times come from the server clock',
  );

  clock.advance(299_000);
  assert.equal((await srv.api('GET', href)).status, 200, 'still retained before 300 s');
  assert.equal(
    ((await srv.api('GET', '/api/cluster/jobs?return_records=false')).json as { num_records: number })
      .num_records,
    1,
  );

  clock.advance(1_000);
  const gone = await srv.api('GET', href);
  assert.equal(gone.status, 404);
  assert.deepEqual(gone.json, { error: { message: "entry doesn't exist", code: '4', target: 'uuid' } });
  assert.equal(
    ((await srv.api('GET', '/api/cluster/jobs?return_records=false')).json as { num_records: number })
      .num_records,
    0,
  );
  const cancel = await srv.api('PATCH', `${href}?action=cancel`);
  assert.equal(cancel.status, 404, 'actions on a purged job get the 404 too');

  const status = await srv.api('GET', '/api/cluster/software/download');
  assert.deepEqual(status.json, {
    state: 'failure',
    message: `Package download failed: the server returned HTTP 404 Not Found for ${origin.url}/gone.tgz.`,
    code: 10551381,
  });
});

test('running jobs are never purged, however old', async (t) => {
  const clock = new ManualClock(new Date('2025-03-28T14:00:00Z'));
  const origin = await startHttpOrigin({
    files: { '/slow.tgz': Buffer.alloc(10) },
    modes: { '/slow.tgz': { kind: 'stallHeaders' } },
  });
  t.after(() => origin.close());
  const srv = await startTestServer(t, { clock, config: { jobRetentionSeconds: 1 } });
  const res = await srv.api('POST', '/api/cluster/software/download', {
    body: { url: `${origin.url}/slow.tgz` },
  });
  const href = jobHrefOf(res.json);
  clock.advance(86_400_000);
  const job = await srv.api('GET', href);
  assert.equal(job.status, 200);
  assert.equal((job.json as { state: string }).state, 'running');
  await srv.api('PATCH', `${href}?action=cancel`);
});
