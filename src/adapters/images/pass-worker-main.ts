import { createHash, type Hash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import type { FromPassWorker, ToPassWorker, WireErrno } from './pass-worker.js';
import { errnoCode } from './storage-failure.js';
import { TgzInspector } from './tgz-inspector.js';
import { writeFully } from './write-fully.js';

interface Pass {
  readonly fd: number;
  readonly hash: Hash;
  readonly inspector: TgzInspector;
}

const port = parentPort;
if (port === null) throw new Error('pass-worker-main runs only as a worker thread');
const passes = new Map<number, Pass>();
const post = (message: FromPassWorker, transfer: ArrayBuffer[] = []): void => {
  port.postMessage(message, transfer);
};

port.on('message', (message: ToPassWorker) => {
  switch (message.type) {
    case 'open':
      passes.set(message.pass, { fd: message.fd, hash: createHash('sha256'), inspector: new TgzInspector() });
      return;
    case 'batch':
      batch(message);
      return;
    case 'finish':
      void finish(message.pass, message.seq);
      return;
    case 'close':
      passes.get(message.pass)?.inspector.destroy();
      passes.delete(message.pass);
      return;
  }
});

/** Hashes and inspects the package bytes of the buffer and writes it; the buffer goes back once both are done. */
function batch(message: Extract<ToPassWorker, { type: 'batch' }>): void {
  const { buffer, seq } = message;
  const pass = passes.get(message.pass);
  if (pass === undefined) {
    post({ type: 'written', seq, buffer, error: { message: 'the pass was closed' } }, [buffer]);
    return;
  }
  const data = Buffer.from(buffer, 0, message.length);
  pass.hash.update(data);
  let pending = 2;
  let error: WireErrno | null = null;
  const done = (): void => {
    if (--pending > 0) return;
    post({ type: 'written', seq, buffer, error }, [buffer]);
  };
  writeFully(pass.fd, [Buffer.from(buffer, 0, message.writeLength)], message.position, (err) => {
    if (err !== null) error = toWireErrno(err);
    done();
  });
  pass.inspector.write(data, done);
}

async function finish(id: number, seq: number): Promise<void> {
  const pass = passes.get(id);
  passes.delete(id);
  if (pass === undefined) {
    post({ type: 'unknown-pass', seq });
    return;
  }
  try {
    const inspection = await pass.inspector.finish();
    post({ type: 'finished', seq, sha256: pass.hash.digest('hex'), inspection });
  } catch (err) {
    post({ type: 'finish-failed', seq, error: toWireErrno(err) });
  }
}

function toWireErrno(err: unknown): WireErrno {
  const message = err instanceof Error ? err.message : String(err);
  const code = errnoCode(err);
  return code === undefined ? { message } : { message, code };
}
