// Sends exactly N GET requests over 50 keep-alive connections and exits; used by instructions-per-request.sh.
//   node --import tsx bench/tools/get-loop.ts <url> <N> [authorization header value]
import { Pool } from 'undici';

const url = process.argv[2];
const count = Number(process.argv[3]);
const auth = process.argv[4];
if (url === undefined || !Number.isInteger(count) || count < 1) {
  process.stderr.write('usage: get-loop.ts <url> <N> [authorization]\n');
  process.exit(2);
}
const target = new URL(url);
const pool = new Pool(target.origin, { connections: 50 });
const headers: Record<string, string> = auth === undefined || auth === '' ? {} : { authorization: auth };
let sent = 0;
let failed = 0;
async function client(): Promise<void> {
  while (sent < count) {
    sent++;
    const answer = await pool.request({ path: target.pathname, method: 'GET', headers });
    if (answer.statusCode !== 200) failed++;
    await answer.body.text();
  }
}
await Promise.all(Array.from({ length: 50 }, client));
await pool.close();
if (failed > 0) {
  process.stderr.write(`${failed} of ${count} answers were not 200\n`);
  process.exit(1);
}
