// Sends exactly N GET requests over 50 keep-alive connections and exits; used by instructions-per-request.sh.
//   node --import tsx bench/tools/get-loop.ts <url> <N> [authorization header value]
import { runUndiciLoad } from '../lib/load.js';

const url = process.argv[2];
const count = Number(process.argv[3]);
const auth = process.argv[4];
if (url === undefined || !Number.isInteger(count) || count < 1) {
  process.stderr.write('usage: get-loop.ts <url> <N> [authorization]\n');
  process.exit(2);
}
const result = await runUndiciLoad({
  url,
  connections: 50,
  seconds: 3600,
  requests: count,
  // Under valgrind a request may take far longer than the bench's 5 s limit.
  timeoutMs: 0,
  headers: auth === undefined || auth === '' ? {} : { authorization: auth },
});
if (result.errors > 0 || result.requests !== count) {
  process.stderr.write(`${String(result.errors)} of ${String(count)} requests failed\n`);
  process.exit(1);
}
