import type { Writable } from 'node:stream';
import { errors, type JobFailure } from '../errors.js';
import type { JobRunner } from '../jobs/job-runner.js';
import { checkFileName } from '../model/download-request.js';
import type { Job } from '../model/job.js';
import type { Clock } from '../ports/clock.js';
import type { ImageStore } from '../ports/image-store.js';
import type { PackageStore } from '../ports/package-store.js';
import type { ClusterService } from './cluster-service.js';
import { TRANSFER_KINDS } from './download-service.js';
import type { PackageIntake } from './package-intake.js';
import { progressMessage, throttle } from './progress-message.js';
import { discard, TransferGuard } from './transfer-job.js';
import type { TransferSettings } from './transfer-settings.js';

export const UPLOAD_DESCRIPTION = 'POST /api/cluster/software/upload';

/**
 * One upload in flight. The HTTP layer writes the file part into `sink` (waiting for 'drain'), then calls
 * `bodyDone()`, or `bodyFailed()` when the client went away. It stops reading when `signal` aborts
 * (cancel, time limit, no space), and the job then ends in failure.
 */
export interface UploadSession {
  readonly job: Job;
  readonly sink: Writable;
  readonly signal: AbortSignal;
  progress(received: number): void;
  bodyDone(): void;
  bodyFailed(failure: JobFailure): void;
}

export interface UploadServiceDeps {
  readonly runner: JobRunner;
  readonly images: ImageStore;
  readonly packages: PackageStore;
  readonly cluster: ClusterService;
  readonly intake: PackageIntake;
  readonly settings: TransferSettings;
  readonly clock: Clock;
  readonly progressIntervalMs?: number;
}

/** `POST /api/cluster/software/upload` (§7): the body streams into staging while its job runs. */
export class UploadService {
  readonly #d: UploadServiceDeps;

  constructor(deps: UploadServiceDeps) {
    this.#d = deps;
  }

  /**
   * D24's state checks for a file part named `fileName`, then the job. Throws catalogue errors.
   * `expectedBytes` (the request's Content-Length, when sent) drives the progress percent and the free-space
   * check; the size limit itself is enforced on the bytes as they arrive.
   */
  async begin(rawFileName: string, expectedBytes: number | null): Promise<UploadSession> {
    const fileName = checkFileName(basename(rawFileName), 'file');
    const { runner, images, packages, cluster, settings, intake, clock } = this.#d;
    if (cluster.updateInProgress()) throw errors.updateInProgress();
    if (runner.isRunning(TRANSFER_KINDS)) throw errors.transferInProgress();
    if ((await images.exists(fileName)) || (await packages.getByFileName(fileName))) {
      throw errors.sameFileName(fileName);
    }
    const staged = await images.stage({ maxBytes: settings.maxPackageBytes, verb: 'upload' });
    if (runner.isRunning(TRANSFER_KINDS)) {
      await discard(staged);
      throw errors.transferInProgress();
    }
    const guard = new TransferGuard(images, settings, 'upload');
    let settle!: (failure: JobFailure | null) => void;
    const body = new Promise<JobFailure | null>((resolve) => (settle = resolve));
    let reporter: ((message: () => string) => void) | null = null;

    const job = await runner.start(
      {
        kind: 'upload',
        description: UPLOAD_DESCRIPTION,
        message: 'Package upload in progress',
        cancellable: true,
      },
      async (ctx) => {
        guard.arm(ctx.signal, runner, ctx.uuid);
        reporter = throttle(this.#d.progressIntervalMs ?? 250, () => clock.now().getTime(), ctx.setMessage);
        const aborted = new Promise<never>((_, reject) => {
          const fail = (): void => {
            reject(guard.inner.signal.reason as Error);
          };
          if (guard.inner.signal.aborted) fail();
          else guard.inner.signal.addEventListener('abort', fail, { once: true });
        });
        aborted.catch(() => undefined);
        try {
          await guard.checkFreeSpace(expectedBytes);
          const failure = await Promise.race([body, aborted]);
          if (failure !== null) throw failure;
          const image = await staged.complete();
          await intake.accept(image, fileName, null, 'upload');
          return 'success';
        } catch (err) {
          // A failure of the job's own (e.g. the free-space check) must also stop the HTTP side, which
          // otherwise keeps writing into the discarded sink and waits for a 'drain' that never comes.
          if (!guard.inner.signal.aborted) guard.inner.abort(err);
          await discard(staged);
          throw guard.resolveFailure(err);
        } finally {
          guard.disarm();
        }
      },
    );
    return {
      job,
      sink: staged.stream,
      signal: guard.inner.signal,
      progress: (received) => {
        guard.watchSpace(received);
        reporter?.(() => progressMessage('upload', received, expectedBytes));
      },
      bodyDone: () => {
        settle(null);
      },
      bodyFailed: (failure) => {
        settle(failure);
      },
    };
  }
}

function basename(name: string): string {
  const parts = name.split(/[/\\]/);
  return parts[parts.length - 1] ?? '';
}
