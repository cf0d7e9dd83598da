import { errors, failures } from '../errors.js';
import type { JobRunner } from '../jobs/job-runner.js';
import { parseDownloadRequest, type TransferScheme } from '../model/download-request.js';
import type { Job } from '../model/job.js';
import type { Clock } from '../ports/clock.js';
import { downloadersByScheme, type Downloader } from '../ports/downloader.js';
import type { ImageStore } from '../ports/image-store.js';
import type { JobStore } from '../ports/job-store.js';
import type { PackageStore } from '../ports/package-store.js';
import type { StateStore } from '../ports/state-store.js';
import type { ClusterService } from './cluster-service.js';
import type { PackageIntake } from './package-intake.js';
import { progressMessage, throttle } from './progress-message.js';
import { discard, TransferGuard } from './transfer-job.js';
import type { TransferSettings } from './transfer-settings.js';

export const DOWNLOAD_DESCRIPTION = 'POST /api/cluster/software/download';
export const TRANSFER_KINDS = ['download', 'upload'] as const;

export interface DownloadInput {
  readonly url: string;
  readonly username?: string | undefined;
  readonly password?: string | undefined;
}

export type DownloadState = 'not_started' | 'running' | 'success' | 'failure';

export interface DownloadStatus {
  readonly state: DownloadState;
  readonly message: string;
  readonly code: number;
}

interface StatusDoc {
  jobUuid: string;
  state: DownloadState;
  message: string;
  code: number;
}

const STATUS_KEY = 'download.status';

export interface DownloadServiceDeps {
  readonly runner: JobRunner;
  readonly jobs: JobStore;
  readonly images: ImageStore;
  readonly packages: PackageStore;
  readonly state: StateStore;
  readonly cluster: ClusterService;
  readonly intake: PackageIntake;
  readonly downloaders: readonly Downloader[];
  readonly settings: TransferSettings;
  readonly clock: Clock;
  /** How often a running job's progress message may change. */
  readonly progressIntervalMs?: number;
}

/** `POST /api/cluster/software/download` (§4): synchronous checks, then a job that fetches and stores. */
export class DownloadService {
  readonly #d: DownloadServiceDeps;
  readonly #bySchemes: ReadonlyMap<TransferScheme, Downloader>;

  constructor(deps: DownloadServiceDeps) {
    this.#d = deps;
    this.#bySchemes = downloadersByScheme(deps.downloaders);
  }

  /** Runs the checks of §4.3 #6–#11 and starts the job. No network access happens before it returns. */
  async start(input: DownloadInput): Promise<Job> {
    const request = parseDownloadRequest(input.url, input.username, input.password);
    const downloader = this.#bySchemes.get(request.scheme);
    if (downloader === undefined) throw errors.unsupportedScheme(request.scheme);
    if (this.#d.cluster.updateInProgress()) throw errors.updateBlocksDownload();
    if (this.#d.runner.isRunning(TRANSFER_KINDS)) throw errors.transferInProgress();
    if (
      (await this.#d.images.exists(request.fileName)) ||
      (await this.#d.packages.getByFileName(request.fileName))
    ) {
      throw errors.sameFileName(request.fileName);
    }
    // Re-checked after the awaits above: only the synchronous check right before start() is race-free.
    if (this.#d.runner.isRunning(TRANSFER_KINDS)) throw errors.transferInProgress();

    const { runner, images, settings, intake, clock } = this.#d;
    const job = await runner.start(
      {
        kind: 'download',
        description: DOWNLOAD_DESCRIPTION,
        message: 'Package download in progress',
        cancellable: true,
        onEnd: (end) => this.#recordEnd(end),
      },
      async (ctx) => {
        // Written inside the handler so it always precedes the end record written by onEnd.
        await this.#d.state.set(STATUS_KEY, {
          jobUuid: ctx.uuid,
          state: 'running',
          message: 'Package download in progress',
          code: 10551382,
        } satisfies StatusDoc);
        const guard = new TransferGuard(images, settings, 'download');
        guard.arm(ctx.signal, runner, ctx.uuid);
        const report = throttle(
          this.#d.progressIntervalMs ?? 250,
          () => clock.now().getTime(),
          ctx.setMessage,
        );
        const staged = await images.stage({ maxBytes: settings.maxPackageBytes, verb: 'download' });
        try {
          const pending: { sizeCheck: Promise<void> | null } = { sizeCheck: null };
          await downloader.download(request, staged.stream, {
            signal: guard.inner.signal,
            maxBytes: settings.maxPackageBytes,
            onProgress: ({ received, total }) => {
              if (pending.sizeCheck === null) {
                pending.sizeCheck = guard.checkAnnouncedSize(total).catch((err: unknown) => {
                  guard.inner.abort(err);
                });
              }
              guard.watchSpace(received);
              report(() => progressMessage('download', received, total));
            },
          });
          if (pending.sizeCheck !== null) await pending.sizeCheck;
          if (guard.inner.signal.aborted) throw failures.unexpected();
          const image = await staged.complete();
          await intake.accept(image, request.fileName, request.safeUrl, 'download');
          return 'success';
        } catch (err) {
          await discard(staged);
          throw guard.resolveFailure(err);
        } finally {
          guard.disarm();
        }
      },
    );
    return job;
  }

  async #recordEnd(job: Job): Promise<void> {
    const doc: StatusDoc =
      job.state === 'success'
        ? { jobUuid: job.uuid, state: 'success', message: 'success', code: 0 }
        : { jobUuid: job.uuid, state: 'failure', message: job.message, code: job.code };
    await this.#d.state.set(STATUS_KEY, doc);
  }

  /** D8/D22: the most recent download, also after its job was purged. */
  async status(): Promise<DownloadStatus> {
    const doc = await this.#d.state.get<StatusDoc>(STATUS_KEY);
    if (doc === undefined) {
      return { state: 'not_started', message: 'No package download has been started.', code: 10551384 };
    }
    if (doc.state === 'running') {
      const job = await this.#d.jobs.get(doc.jobUuid);
      if (job?.state === 'running') return { state: 'running', message: job.message, code: 10551382 };
      if (job !== undefined && job.state !== 'queued' && job.state !== 'paused') {
        return job.state === 'success'
          ? { state: 'success', message: 'success', code: 0 }
          : { state: 'failure', message: job.message, code: job.code };
      }
    }
    return { state: doc.state, message: doc.message, code: doc.code };
  }
}
