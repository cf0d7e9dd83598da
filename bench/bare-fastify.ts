/**
 * The API bench's yardstick: a bare Fastify 5 route that answers GET /api/cluster/jobs/:uuid with the same
 * JSON the real server gave for that job, without auth, the store or the conventions layer.
 *   node --import tsx bench/bare-fastify.ts <job.json>      -> prints "BARE <port>"
 */
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';

const file = process.argv[2];
if (file === undefined) {
  process.stderr.write('usage: bare-fastify.ts <job.json>\n');
  process.exit(2);
}
const job = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
const app = Fastify({ logger: false });
app.get('/api/cluster/jobs/:uuid', () => Promise.resolve(job));
const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`BARE ${new URL(address).port}\n`);
process.once('SIGTERM', () => {
  void app.close().then(() => process.exit(0));
});
