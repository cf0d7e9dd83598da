import { randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import { createDownloaders, type DownloaderSettings } from './adapters/downloaders/downloader-set.js';
import { WorkerDownloader } from './adapters/downloaders/transfer-worker.js';
import { passWorker } from './adapters/images/pass-worker.js';
import { FsImageStore } from './adapters/images/fs-image-store.js';
import { startCheckpointer } from './adapters/storage/sqlite/sqlite-checkpointer.js';
import { openSqliteDatabase, type SqliteDatabase } from './adapters/storage/sqlite/sqlite-database.js';
import { SqliteJobStore } from './adapters/storage/sqlite/sqlite-job-store.js';
import { SqlitePackageStore } from './adapters/storage/sqlite/sqlite-package-store.js';
import { SqliteStateStore } from './adapters/storage/sqlite/sqlite-state-store.js';
import { SqliteUserStore } from './adapters/storage/sqlite/sqlite-user-store.js';
import type { Config } from './config/config-schema.js';
import { toError } from './core/errors.js';
import { JobRunner } from './core/jobs/job-runner.js';
import { recover, type RecoveryReport } from './core/jobs/recovery.js';
import { systemClock, type Clock } from './core/ports/clock.js';
import { randomIds, type IdSource } from './core/ports/id-source.js';
import { AuditService } from './core/services/audit-service.js';
import { AuthService, UserService } from './core/services/auth-service.js';
import { ClusterService } from './core/services/cluster-service.js';
import { DownloadService } from './core/services/download-service.js';
import { JobService } from './core/services/job-service.js';
import { PackageIntake } from './core/services/package-intake.js';
import { PackageService } from './core/services/package-service.js';
import { UploadService } from './core/services/upload-service.js';
import { buildApp } from './http/app.js';
import type { ThrottleSettings } from './http/login-throttle.js';
import { BatchedLogDestination } from './log-destination.js';
import { loadServerCertificate } from './tls-certificate.js';

/** When this build was made; reported in `version.full` (D20). */
const BUILD_DATE = new Date();

export interface ServerOptions {
  readonly config: Config;
  readonly logger?: Logger;
  readonly clock?: Clock;
  readonly ids?: IdSource;
  readonly throttle?: ThrottleSettings;
  /** Password for the first `admin` when the user table is empty (else CLUSTERIMAGE_ADMIN_PASSWORD, else random). */
  readonly adminPassword?: string;
  /** Where first-start notices (generated password, certificate fingerprint) are printed. */
  readonly notice?: (line: string) => void;
  /** How often a running job's progress message may change, in ms. */
  readonly progressIntervalMs?: number;
}

export interface RunningServer {
  readonly app: FastifyInstance;
  /** Base URL, e.g. `https://127.0.0.1:8443`. */
  readonly url: string;
  readonly port: number;
  readonly recovery: RecoveryReport;
  readonly fingerprint: string | null;
  readonly database: SqliteDatabase;
  /** Stops accepting connections, ends running jobs (failure, "interrupted"), closes the database. */
  close(): Promise<void>;
}

export function openDatabase(dataDir: string): SqliteDatabase {
  return openSqliteDatabase(join(dataDir, 'clusterimage.db'));
}

async function readCaFiles(files: readonly string[]): Promise<string[]> {
  return Promise.all(files.map((f) => readFile(f, 'utf8')));
}

/** The composition root: wires the stores, the downloaders, the runner and the services into the HTTP app. */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { config } = options;
  const destination = options.logger === undefined ? new BatchedLogDestination(1) : null;
  const logger = options.logger ?? pino({ level: config.logLevel }, destination ?? undefined);
  const clock = options.clock ?? systemClock;
  const ids = options.ids ?? randomIds;
  const notice = options.notice ?? ((line: string) => process.stdout.write(`${line}\n`));
  const dataDir = resolve(config.dataDir);
  await mkdir(dataDir, { recursive: true });

  const database = openDatabase(dataDir);
  const checkpointer = startCheckpointer(database);
  let transferWorker: WorkerDownloader | null = null;
  try {
    const jobStore = new SqliteJobStore(database);
    const packageStore = new SqlitePackageStore(database);
    const stateStore = new SqliteStateStore(database);
    const userStore = new SqliteUserStore(database);
    const images = new FsImageStore(join(dataDir, 'packages'), {
      directWrites: config.directWrites,
      passWorker: config.passWorker,
    });

    const users = new UserService(userStore);
    if (await users.isEmpty()) {
      const given = options.adminPassword ?? process.env.CLUSTERIMAGE_ADMIN_PASSWORD;
      const password = given !== undefined && given !== '' ? given : randomBytes(12).toString('base64url');
      await users.add('admin', 'admin', password);
      if (given === undefined || given === '') {
        notice(`Created user "admin" with password: ${password}`);
        notice(
          'This password is shown once. Change it with: clusterimage user passwd admin --data-dir <dir>',
        );
      } else {
        notice('Created user "admin" with the password from CLUSTERIMAGE_ADMIN_PASSWORD.');
      }
    }

    const recovery = await recover(jobStore, packageStore, images, clock);
    if (
      recovery.interruptedJobs > 0 ||
      recovery.orphanFilesRemoved.length > 0 ||
      recovery.recordsWithoutFile.length > 0
    ) {
      logger.warn({ recovery }, 'reconciled state left by an earlier run');
    }

    const cluster = new ClusterService(stateStore, ids, {
      name: config.clusterName,
      version: config.clusterVersion,
      nodes: config.nodes,
      buildDate: BUILD_DATE,
    });
    await cluster.init();
    const runner = new JobRunner(jobStore, clock, ids, cluster.jobNodeName);
    runner.on('fault', (err, uuid) => {
      logger.error({ err, job: uuid }, 'job fault');
    });
    runner.on('end', (job) => {
      logger.info(
        {
          job: job.uuid,
          description: job.description,
          state: job.state,
          code: job.code,
          message: job.message,
        },
        'job ended',
      );
    });

    const warn = (message: string, details: Record<string, unknown>): void => {
      logger.warn(details, message);
    };
    const downloaderSettings: DownloaderSettings = {
      connectTimeoutMs: config.connectTimeoutSeconds * 1000,
      idleTimeoutMs: config.idleTimeoutSeconds * 1000,
      maxRedirects: config.maxRedirects,
      resumeAttempts: config.resumeAttempts,
      caPem: await readCaFiles(config.caFiles),
      insecureHosts: [...config.insecureHosts],
      allowHosts: [...config.allowHosts],
      denyHosts: [...config.denyHosts],
    };
    const localDownloaders = createDownloaders(downloaderSettings, warn);
    transferWorker = config.transferWorker
      ? new WorkerDownloader(downloaderSettings, warn, localDownloaders, {
          startPassWorker: config.passWorker,
        })
      : null;
    transferWorker?.start();
    // Uploads (and downloads without the transfer worker) stage on this thread; its pass worker starts with it.
    if (config.passWorker) passWorker().start();
    const downloaders = transferWorker !== null ? [transferWorker] : localDownloaders;
    const settings = {
      timeLimitSeconds: config.transferTimeLimitSeconds,
      maxPackageBytes: config.maxPackageBytes,
      minFreeBytes: config.minFreeBytes,
    };
    const intake = new PackageIntake(packageStore, images, clock);
    const progress =
      options.progressIntervalMs !== undefined ? { progressIntervalMs: options.progressIntervalMs } : {};
    const downloads = new DownloadService({
      runner,
      jobs: jobStore,
      images,
      packages: packageStore,
      state: stateStore,
      cluster,
      intake,
      downloaders,
      settings,
      clock,
      ...progress,
    });
    const uploads = new UploadService({
      runner,
      images,
      packages: packageStore,
      cluster,
      intake,
      settings,
      clock,
      ...progress,
    });
    const packages = new PackageService(packageStore, images, runner, cluster);
    const jobs = new JobService(jobStore, runner, clock, config.jobRetentionSeconds);
    const auth = new AuthService(userStore);
    const audit = await AuditService.load(stateStore);

    let fingerprint: string | null = null;
    let https: { key: string; cert: string } | null = null;
    if (!config.insecureHttp) {
      const cert = await loadServerCertificate(dataDir, config.tlsCertFile, config.tlsKeyFile, config.host);
      https = { key: cert.key, cert: cert.cert };
      fingerprint = cert.fingerprint;
      notice(
        `${cert.created ? 'Created a self-signed' : 'Using the'} TLS certificate; SHA-256 fingerprint ${cert.fingerprint}`,
      );
    }
    const app = await buildApp(
      { cluster, downloads, uploads, packages, jobs, runner, auth, audit },
      {
        logger,
        https,
        requestTimeoutMs: (config.transferTimeLimitSeconds + 60) * 1000,
        ...(options.throttle !== undefined ? { throttle: options.throttle } : {}),
      },
    );
    await app.listen({ host: config.host, port: config.port });
    const address = app.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : config.port;
    const hostForUrl = config.host.includes(':') ? `[${config.host}]` : config.host;
    const url = `${https ? 'https' : 'http'}://${hostForUrl}:${port}`;

    const purgeTimer = setInterval(() => {
      jobs.purge().catch((err: unknown) => {
        logger.error({ err: toError(err) }, 'job purge failed');
      });
    }, 30_000);
    purgeTimer.unref();

    let closing: Promise<void> | null = null;
    const close = (): Promise<void> => {
      closing ??= (async () => {
        clearInterval(purgeTimer);
        const closed = app.close();
        await runner.shutdown();
        app.server.closeAllConnections();
        await closed;
        await transferWorker?.close();
        await checkpointer.stop();
        database.close();
        await new Promise<void>((done) => {
          logger.flush(() => {
            done();
          });
        });
        destination?.close();
      })();
      return closing;
    };
    return { app, url, port, recovery, fingerprint, database, close };
  } catch (err) {
    await transferWorker?.close();
    await checkpointer.stop();
    database.close();
    throw err;
  }
}
