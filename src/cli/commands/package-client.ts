import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseCommandArgs } from '../client/args.js';
import { CLIENT_OPTIONS, CONNECTION_HELP } from '../client/connection.js';
import { cellText, formatBytes, formatFields, formatTable } from '../client/format.js';
import { jobMessage, jobRefOf, waitForJob, type JobRef } from '../client/jobs.js';
import { multipartFileBody } from '../client/multipart.js';
import { isRecord, type JsonRecord, type RestClient } from '../client/rest-client.js';
import { runClient, type ClientRun } from '../client/run.js';
import { EXIT_OK, readStdinLine, UsageError, type CliIo } from '../io.js';
import { createProgress, parseJobProgress, type ProgressReporter } from '../progress.js';
import { safeUrlOf } from '../../core/model/download-request.js';

const WAIT_HELP = `  --no-wait           print the job (uuid and href) and return at once
  Without --no-wait the command follows the job until it ends: a progress bar on a terminal, plain lines
  (on standard error) otherwise. Ctrl-C stops waiting; the job goes on (see "clusterimage job watch").`;

export const PACKAGE_HELP = `Usage: clusterimage package <command> [options]

The cluster package repository (ONTAP "cluster image package").

Client commands (talk to a running server over the REST API):
  get <url>                 download a package into the repository (cluster image package get)
  upload <file>             upload a package file into the repository
  show [version]            list the repository (cluster image package show-repository)
  delete <version>          delete a package (cluster image package delete)
  download-status           progress of the latest download (cluster image package check-download-progress)

Local command:
  create --version V <out>  write a valid test package (.tgz)

Run "clusterimage package <command> --help" for the options and an example of each.

Example:
  CLUSTERIMAGE_PASSWORD=secret clusterimage package show --url https://127.0.0.1:8443 --insecure
`;

export const PACKAGE_GET_HELP = `Usage: clusterimage package get <url> [--username U] [--password-stdin] [options]

Downloads a package from an HTTP, HTTPS, FTP or FTPS server into the cluster package repository
(POST /api/cluster/software/download) and waits for the download job.

Options:
  --username U        user name for the package server
  --password-stdin    read the package server's password from the first line of standard input
                      (it is never taken as an argument)
${WAIT_HELP}
${CONNECTION_HELP}

Example:
  export CLUSTERIMAGE_URL=https://ontap-sim:8443 CLUSTERIMAGE_PASSWORD=secret
  echo 'pkgpass' | clusterimage package get https://files.example.com/images/9161_q_image.tgz \\
      --username pkguser --password-stdin
`;

export const PACKAGE_UPLOAD_HELP = `Usage: clusterimage package upload <file> [options]

Uploads a package file into the cluster package repository (POST /api/cluster/software/upload, streamed as
multipart/form-data) and waits for the job that recognises and stores it.

Options:
${WAIT_HELP}
${CONNECTION_HELP}

Example:
  clusterimage package upload ./9161_q_image.tgz --url https://ontap-sim:8443 --ca-file ./ca.pem
`;

const DEFAULT_FIELDS = ['version', 'create_time', 'size', 'file_name'];

export const PACKAGE_SHOW_HELP = `Usage: clusterimage package show [version] [--fields F1,F2,...] [options]

Lists the packages in the cluster package repository (GET /api/cluster/software/packages), like
"cluster image package show-repository"; with a version, shows that package.

Options:
  --fields LIST       columns to show: version, create_time, size, file_name, sha256, source_url, or *
                      (default ${DEFAULT_FIELDS.join(',')})
${CONNECTION_HELP}

Example:
  clusterimage package show --fields version,create_time,sha256
`;

export const PACKAGE_DELETE_HELP = `Usage: clusterimage package delete <version> [options]

Deletes a package from the cluster package repository (DELETE /api/cluster/software/packages/<version>) and
waits for the delete job.

Options:
${WAIT_HELP}
${CONNECTION_HELP}

Example:
  clusterimage package delete 9.16.1
`;

export const PACKAGE_DOWNLOAD_STATUS_HELP = `Usage: clusterimage package download-status [options]

Shows the state of the most recent package download (GET /api/cluster/software/download), like
"cluster image package check-download-progress".

Options:
${CONNECTION_HELP}

Example:
  clusterimage package download-status --json
`;

const WAIT_OPTIONS = { 'no-wait': { type: 'boolean' } } as const;

const HEADERS: Record<string, string> = {
  version: 'Package Version',
  create_time: 'Create Time',
  size: 'Size',
  file_name: 'File Name',
  sha256: 'SHA-256',
  source_url: 'Source URL',
};

/** `package get|upload|show|delete|download-status`; `subcommand` undefined prints the package help. */
export async function packageClientCommand(
  subcommand: string | undefined,
  argv: string[],
  io: CliIo,
): Promise<number> {
  switch (subcommand) {
    case 'get':
      return packageGet(argv, io);
    case 'upload':
      return packageUpload(argv, io);
    case 'show':
    case 'show-repository':
      return packageShow(argv, io);
    case 'delete':
      return packageDelete(argv, io);
    case 'download-status':
    case 'check-download-progress':
      return packageDownloadStatus(argv, io);
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      io.out(PACKAGE_HELP);
      return subcommand === undefined ? 2 : EXIT_OK;
    default:
      throw new UsageError(`unknown package command "${subcommand}"`, 'package');
  }
}

/** The package file name the server derives from a download URL (D18): the last path segment, decoded. */
export function fileNameOfUrl(text: string): string | null {
  try {
    const segment = new URL(text).pathname.split('/').pop() ?? '';
    return segment === '' ? null : decodeURIComponent(segment);
  } catch {
    return null;
  }
}

function printJobRef(run: ClientRun, ref: JobRef, what: string): void {
  if (run.json) run.printJson({ job: ref });
  else
    run.io.out(
      `${what}: job ${ref.uuid} started (${ref.href}).\nFollow it with: clusterimage job watch ${ref.uuid}\n`,
    );
}

/** Finds the repository record stored under `fileName` (after a get or upload). */
async function packageByFileName(client: RestClient, fileName: string | null): Promise<JsonRecord | null> {
  if (fileName === null) return null;
  const records = await listPackages(client, 'version,create_time,file_name,size,sha256,source_url');
  return records.find((r) => r.file_name === fileName) ?? null;
}

async function listPackages(client: RestClient, fields: string): Promise<JsonRecord[]> {
  const records: JsonRecord[] = [];
  let path: string | null = `/api/cluster/software/packages?fields=${encodeURIComponent(fields)}`;
  while (path !== null) {
    const body: JsonRecord = (await client.get(path)).body;
    if (Array.isArray(body.records)) records.push(...body.records.filter(isRecord));
    const links = body._links;
    const next = isRecord(links) && isRecord(links.next) ? links.next.href : undefined;
    path = typeof next === 'string' && next.startsWith('/api/') ? next : null;
  }
  return records;
}

/** Follows a transfer job, feeding D9's progress message to the reporter. */
async function followTransfer(run: ClientRun, ref: JobRef, progress: ProgressReporter): Promise<JsonRecord> {
  try {
    const job = await waitForJob(run.client, ref.href, (current) => {
      const p = parseJobProgress(jobMessage(current));
      if (p !== null) progress.update(p);
    });
    progress.done();
    return job;
  } catch (err) {
    progress.done();
    throw err;
  }
}

function reportStored(
  run: ClientRun,
  job: JsonRecord,
  pkg: JsonRecord | null,
  fallbackName: string | null,
): void {
  if (run.json) {
    run.printJson({ job, package: pkg });
    return;
  }
  if (pkg === null) {
    run.io.out(`Package ${fallbackName ?? ''} is in the repository.\n`);
    return;
  }
  const size = typeof pkg.size === 'number' ? `, ${formatBytes(pkg.size)}` : '';
  run.io.out(`Package ${cellText(pkg.version)} is in the repository (${cellText(pkg.file_name)}${size}).\n`);
}

async function packageGet(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    {
      ...CLIENT_OPTIONS,
      ...WAIT_OPTIONS,
      username: { type: 'string' },
      'password-stdin': { type: 'boolean' },
      password: { type: 'string' },
    },
    'package get',
  );
  if (values.help === true) {
    io.out(PACKAGE_GET_HELP);
    return EXIT_OK;
  }
  if (values.password !== undefined) {
    throw new UsageError(
      'the package server password is never taken as an argument: use --password-stdin',
      'package get',
    );
  }
  const [url, ...extra] = positionals;
  if (url === undefined || extra.length > 0)
    throw new UsageError('package get: exactly one URL is required', 'package get');
  const passwordStdin = values['password-stdin'] === true;
  let originPassword: string | undefined;
  return runClient(
    io,
    values,
    async (run) => {
      const body: JsonRecord = { url };
      if (values.username !== undefined) body.username = values.username;
      if (originPassword !== undefined) body.password = originPassword;
      const ref = jobRefOf(await run.client.post('/api/cluster/software/download', body));
      if (values['no-wait'] === true) {
        printJobRef(run, ref, 'Package download');
        return EXIT_OK;
      }
      if (!run.json) io.err(`Downloading ${safeUrlOf(url)} (job ${ref.uuid})\n`);
      const job = await followTransfer(
        run,
        ref,
        createProgress(io, { label: 'Package download', quiet: run.json }),
      );
      const fileName = fileNameOfUrl(url);
      reportStored(run, job, await packageByFileName(run.client, fileName), fileName);
      return EXIT_OK;
    },
    {
      stdinTaken: passwordStdin,
      beforeConnect: async () => {
        if (!passwordStdin) return;
        originPassword = await readStdinLine(io.stdin);
        if (originPassword === '')
          throw new UsageError('the password read from standard input is empty', 'package get');
      },
    },
  );
}

async function packageUpload(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    { ...CLIENT_OPTIONS, ...WAIT_OPTIONS },
    'package upload',
  );
  if (values.help === true) {
    io.out(PACKAGE_UPLOAD_HELP);
    return EXIT_OK;
  }
  const [file, ...extra] = positionals;
  if (file === undefined || extra.length > 0)
    throw new UsageError('package upload: exactly one file is required', 'package upload');
  let size: number;
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new Error('not a regular file');
    size = info.size;
  } catch (err) {
    throw new UsageError(
      `package upload: cannot read "${file}": ${(err as Error).message}`,
      'package upload',
    );
  }
  const fileName = basename(file);
  return runClient(io, values, async (run) => {
    // Credentials, TLS and reachability first, so a mistake does not cost a whole upload.
    await run.client.get('/api/cluster?fields=name');
    const progress = createProgress(io, { label: 'Package upload', quiet: run.json });
    if (!run.json) io.err(`Uploading ${file} (${formatBytes(size)})\n`);
    const multipart = multipartFileBody(file, fileName, size, (sent) => {
      progress.update({ received: sent, total: size });
    });
    let answer;
    try {
      answer = await run.client.send('POST', '/api/cluster/software/upload', {
        stream: multipart.stream,
        headers: { 'content-type': multipart.contentType, 'content-length': String(multipart.contentLength) },
        headersTimeoutMs: 0,
      });
    } finally {
      progress.done();
    }
    const ref = jobRefOf(answer);
    if (values['no-wait'] === true) {
      printJobRef(run, ref, 'Package upload');
      return EXIT_OK;
    }
    const job = await waitForJob(run.client, ref.href);
    reportStored(run, job, await packageByFileName(run.client, fileName), fileName);
    return EXIT_OK;
  });
}

async function packageShow(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    { ...CLIENT_OPTIONS, fields: { type: 'string' } },
    'package show',
  );
  if (values.help === true) {
    io.out(PACKAGE_SHOW_HELP);
    return EXIT_OK;
  }
  if (positionals.length > 1) throw new UsageError('package show: at most one version', 'package show');
  const version = positionals[0];
  const fieldsText = values.fields ?? DEFAULT_FIELDS.join(',');
  if (!/^[!*.{},\w]+$/.test(fieldsText))
    throw new UsageError(`package show: invalid --fields "${fieldsText}"`, 'package show');
  return runClient(io, values, async (run) => {
    if (version !== undefined) {
      const record = (
        await run.client.get(
          `/api/cluster/software/packages/${encodeURIComponent(version)}?fields=${encodeURIComponent(fieldsText)}`,
        )
      ).body;
      if (run.json) run.printJson(record);
      else
        io.out(
          formatFields(
            columnsOf([record], fieldsText).map((f) => [HEADERS[f] ?? f, packageCell(f, record[f])]),
          ),
        );
      return EXIT_OK;
    }
    const records = await listPackages(run.client, fieldsText);
    if (run.json) {
      run.printJson({ records, num_records: records.length });
      return EXIT_OK;
    }
    if (records.length === 0) {
      io.out('There are no packages in the repository.\n');
      return EXIT_OK;
    }
    const columns = columnsOf(records, fieldsText);
    io.out(
      formatTable(
        columns.map((c) => HEADERS[c] ?? c),
        records.map((r) => columns.map((c) => packageCell(c, r[c]))),
      ),
    );
    return EXIT_OK;
  });
}

/** The columns to print: the asked-for plain names in order, then any other field the server returned. */
function columnsOf(records: readonly JsonRecord[], fieldsText: string): string[] {
  const asked = fieldsText.split(',').filter((f) => /^\w+$/.test(f));
  const columns = asked.includes('version') ? [...asked] : ['version', ...asked];
  for (const r of records) {
    for (const key of Object.keys(r)) if (key !== '_links' && !columns.includes(key)) columns.push(key);
  }
  return columns.filter((c) => records.some((r) => r[c] !== undefined) || asked.includes(c));
}

function packageCell(field: string, value: unknown): string {
  if (field === 'size' && typeof value === 'number') return formatBytes(value);
  return cellText(value);
}

async function packageDelete(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    { ...CLIENT_OPTIONS, ...WAIT_OPTIONS },
    'package delete',
  );
  if (values.help === true) {
    io.out(PACKAGE_DELETE_HELP);
    return EXIT_OK;
  }
  const [version, ...extra] = positionals;
  if (version === undefined || version === '' || extra.length > 0) {
    throw new UsageError('package delete: exactly one version is required', 'package delete');
  }
  return runClient(io, values, async (run) => {
    const ref = jobRefOf(
      await run.client.delete(`/api/cluster/software/packages/${encodeURIComponent(version)}`),
    );
    if (values['no-wait'] === true) {
      printJobRef(run, ref, 'Package delete');
      return EXIT_OK;
    }
    if (!run.json) io.err(`Deleting package ${version} (job ${ref.uuid})\n`);
    const job = await waitForJob(run.client, ref.href);
    if (run.json) run.printJson({ job });
    else io.out(`Package ${version} deleted.\n`);
    return EXIT_OK;
  });
}

async function packageDownloadStatus(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, CLIENT_OPTIONS, 'package download-status');
  if (values.help === true) {
    io.out(PACKAGE_DOWNLOAD_STATUS_HELP);
    return EXIT_OK;
  }
  if (positionals.length > 0)
    throw new UsageError('package download-status takes no arguments', 'package download-status');
  return runClient(io, values, async (run) => {
    const status = (await run.client.get('/api/cluster/software/download')).body;
    if (run.json) run.printJson(status);
    else {
      io.out(
        formatFields([
          ['State', cellText(status.state)],
          ['Message', cellText(status.message)],
          ['Code', cellText(status.code)],
        ]),
      );
    }
    return EXIT_OK;
  });
}
