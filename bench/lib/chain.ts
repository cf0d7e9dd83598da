import { jobUuidOf, type ServerProcess } from './server.js';
import { errorMessage, sleep } from './util.js';

/**
 * Keeps a download running in the server for as long as a measurement needs one: POST, poll until it ends,
 * delete the package, start again. `stop()` cancels the current job and removes what it left.
 */
export class DownloadChain {
  readonly #server: ServerProcess;
  readonly #url: string;
  readonly #version: string;
  #stopping = false;
  #current: string | null = null;
  #loop: Promise<void> | null = null;
  #running: (() => void) | null = null;
  completed = 0;
  bytes = 0;
  error: string | null = null;
  #activeMs = 0;

  constructor(server: ServerProcess, url: string, version: string) {
    this.#server = server;
    this.#url = url;
    this.#version = version;
  }

  /** Starts the loop; resolves once the first job is running. */
  async start(): Promise<void> {
    await this.#server.ensureNoPackage(this.#version);
    const running = new Promise<void>((resolve) => {
      this.#running = resolve;
    });
    this.#loop = this.#run();
    await Promise.race([running, this.#loop]);
    if (this.error !== null) throw new Error(`download chain: ${this.error}`);
  }

  async #run(): Promise<void> {
    while (!this.#stopping) {
      try {
        const answer = await this.#server.call('POST', '/api/cluster/software/download?return_timeout=0', { url: this.#url });
        const uuid = jobUuidOf(answer.json);
        if (answer.status !== 202 || uuid === null) throw new Error(`POST download: ${answer.status} ${answer.text.slice(0, 200)}`);
        this.#current = uuid;
        const t0 = performance.now();
        let job = await this.#server.job(uuid);
        while (job.state !== 'success' && job.state !== 'failure') {
          if (job.state === 'running') this.#running?.();
          await sleep(100);
          job = await this.#server.job(uuid);
        }
        this.#current = null;
        if (job.state === 'failure') {
          if (this.stopping) return;
          throw new Error(`download failed: ${job.message}`);
        }
        this.#activeMs += performance.now() - t0;
        this.completed++;
        this.#running?.();
        await this.#server.deletePackage(this.#version);
      } catch (err) {
        this.error = errorMessage(err);
        return;
      }
    }
  }

  /** Cancels the running job (if any), waits for the loop, removes a committed package. */
  async stop(): Promise<void> {
    this.#stopping = true;
    const uuid = this.#current;
    if (uuid !== null) await this.#server.call('PATCH', `/api/cluster/jobs/${uuid}?action=cancel`).catch(() => undefined);
    await this.#loop;
    await this.#server.ensureNoPackage(this.#version);
  }

  /** Read through a getter: the loop's own condition would otherwise narrow it to false. */
  get stopping(): boolean {
    return this.#stopping;
  }

  /** Seconds spent in completed downloads (POST to success). */
  get activeSeconds(): number {
    return this.#activeMs / 1000;
  }
}
