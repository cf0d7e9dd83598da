import { Worker } from 'node:worker_threads';

/**
 * From the TypeScript sources (tests, tsx) the worker thread registers tsx itself first: loader hooks of the
 * parent thread do not reach it on Node 20.
 */
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
(async () => {
  if (workerData.tsx !== null) (await import(workerData.tsx)).register();
  await import(workerData.entry);
})().catch((err) => {
  process.nextTick(() => {
    throw err;
  });
});
`;

/**
 * Starts a worker thread on the module `<name>.js` (or `.ts` when running from the sources) beside the module
 * at `besideUrl`, with `data` in its workerData. Call `unref()` after adding the 'message' listener: a
 * listener added later refs the worker's port again, and the process would no longer exit by itself.
 */
export function startModuleWorker(besideUrl: string, name: string, data: object): Worker {
  const fromSources = besideUrl.endsWith('.ts');
  const entry = new URL(`./${name}${fromSources ? '.ts' : '.js'}`, besideUrl).href;
  const tsx = fromSources ? import.meta.resolve('tsx/esm/api') : null;
  return new Worker(BOOTSTRAP, { eval: true, workerData: { ...data, entry, tsx } });
}
