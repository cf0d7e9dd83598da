import { parseCommandArgs } from '../client/args.js';
import { CLIENT_OPTIONS, CONNECTION_HELP } from '../client/connection.js';
import { cellText, formatFields, formatTable } from '../client/format.js';
import { jobMessage, jobPath, jobState, waitForJob } from '../client/jobs.js';
import { isRecord, type JsonRecord } from '../client/rest-client.js';
import { runClient } from '../client/run.js';
import { EXIT_OK, UsageError, type CliIo } from '../io.js';
import { createProgress, parseJobProgress } from '../progress.js';

export const JOB_HELP = `Usage: clusterimage job <show|watch|cancel> [uuid] [options]

The server's asynchronous jobs (GET/PATCH /api/cluster/jobs), like ONTAP's "job show".

  job show              list the jobs
  job show <uuid>       show one job
  job watch <uuid>      follow a job until it ends (exit 1 when it fails)
  job cancel <uuid>     cancel a running download or upload

Run "clusterimage job <command> --help" for the options and an example of each.

Example:
  clusterimage job show --json
`;

export const JOB_SHOW_HELP = `Usage: clusterimage job show [uuid] [options]

Lists the jobs the server keeps (finished jobs stay about 5 minutes), or shows one job in full.

Options:
${CONNECTION_HELP}

Example:
  clusterimage job show
  clusterimage job show f587d316-5feb-11e8-b0e0-005056956dfc --json
`;

export const JOB_WATCH_HELP = `Usage: clusterimage job watch <uuid> [options]

Follows a job until it ends: a progress bar on a terminal for downloads and uploads, plain lines (on
standard error) otherwise. Exits 0 when the job succeeds and 1 when it fails; with --json prints
{"job": <final record>} (and "error" when it failed).

Options:
${CONNECTION_HELP}

Example:
  clusterimage job watch f587d316-5feb-11e8-b0e0-005056956dfc
`;

export const JOB_CANCEL_HELP = `Usage: clusterimage job cancel <uuid> [options]

Cancels a running package download or upload (PATCH /api/cluster/jobs/<uuid>?action=cancel); the job then
ends in failure with "cancelled by user request".

Options:
${CONNECTION_HELP}

Example:
  clusterimage job cancel f587d316-5feb-11e8-b0e0-005056956dfc
`;

const LIST_FIELDS = 'uuid,description,state,code,message,start_time,end_time';

export async function jobCommand(argv: string[], io: CliIo): Promise<number> {
  const [subcommand, ...rest] = argv;
  switch (subcommand) {
    case 'show':
      return jobShow(rest, io);
    case 'watch':
      return jobWatch(rest, io);
    case 'cancel':
      return jobCancel(rest, io);
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      io.out(JOB_HELP);
      return subcommand === undefined ? 2 : EXIT_OK;
    default:
      throw new UsageError(`unknown job command "${subcommand}"`, 'job');
  }
}

function oneUuid(positionals: string[], command: string): string {
  const [uuid, ...extra] = positionals;
  if (uuid === undefined || uuid === '' || extra.length > 0) throw new UsageError(`job ${command}: exactly one job uuid is required`, `job ${command}`);
  return uuid;
}

function jobFields(job: JsonRecord): [string, string][] {
  const pairs: [string, string][] = [
    ['UUID', cellText(job.uuid)],
    ['Description', cellText(job.description)],
    ['State', cellText(job.state)],
    ['Code', cellText(job.code)],
    ['Message', cellText(job.message)],
    ['Start Time', cellText(job.start_time)],
    ['End Time', cellText(job.end_time)],
  ];
  const node = job.node;
  if (isRecord(node)) pairs.push(['Node', cellText(node.name)]);
  return pairs;
}

async function jobShow(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, CLIENT_OPTIONS, 'job show');
  if (values.help === true) {
    io.out(JOB_SHOW_HELP);
    return EXIT_OK;
  }
  if (positionals.length > 1) throw new UsageError('job show: at most one job uuid', 'job show');
  const uuid = positionals[0];
  return runClient(io, values, async (run) => {
    if (uuid !== undefined) {
      const job = (await run.client.get(jobPath(uuid))).body;
      if (run.json) run.printJson(job);
      else io.out(formatFields(jobFields(job)));
      return EXIT_OK;
    }
    const records: JsonRecord[] = [];
    let path: string | null = `/api/cluster/jobs?fields=${LIST_FIELDS}`;
    while (path !== null) {
      const body: JsonRecord = (await run.client.get(path)).body;
      if (Array.isArray(body.records)) records.push(...body.records.filter(isRecord));
      const links = body._links;
      const next = isRecord(links) && isRecord(links.next) ? links.next.href : undefined;
      path = typeof next === 'string' && next.startsWith('/api/') ? next : null;
    }
    if (run.json) {
      run.printJson({ records, num_records: records.length });
      return EXIT_OK;
    }
    if (records.length === 0) {
      io.out('There are no jobs.\n');
      return EXIT_OK;
    }
    io.out(
      formatTable(
        ['UUID', 'Description', 'State', 'Code', 'Start Time', 'Message'],
        records.map((r) => [r.uuid, r.description, r.state, r.code, r.start_time, r.message].map(cellText)),
      ),
    );
    return EXIT_OK;
  });
}

async function jobWatch(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, CLIENT_OPTIONS, 'job watch');
  if (values.help === true) {
    io.out(JOB_WATCH_HELP);
    return EXIT_OK;
  }
  const uuid = oneUuid(positionals, 'watch');
  return runClient(io, values, async (run) => {
    const first = (await run.client.get(jobPath(uuid))).body;
    if (!run.json) io.err(`Job ${uuid}: ${cellText(first.description)}\n`);
    const progress = createProgress(io, { label: transferLabel(first.description), quiet: run.json });
    let lastMessage = '';
    const onPoll = (job: JsonRecord): void => {
      const message = jobMessage(job);
      const p = parseJobProgress(message);
      if (p !== null) progress.update(p);
      else if (!run.json && message !== lastMessage) io.err(`${jobState(job)}: ${message}\n`);
      lastMessage = message;
    };
    let job: JsonRecord;
    try {
      job = await waitForJob(run.client, jobPath(uuid), onPoll);
    } finally {
      progress.done();
    }
    if (run.json) run.printJson({ job });
    else io.out(`Job ${uuid} succeeded: ${jobMessage(job)}\n`);
    return EXIT_OK;
  });
}

function transferLabel(description: unknown): string {
  const text = typeof description === 'string' ? description : '';
  if (text.endsWith('/software/download')) return 'Package download';
  if (text.endsWith('/software/upload')) return 'Package upload';
  return 'Job';
}

async function jobCancel(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, CLIENT_OPTIONS, 'job cancel');
  if (values.help === true) {
    io.out(JOB_CANCEL_HELP);
    return EXIT_OK;
  }
  const uuid = oneUuid(positionals, 'cancel');
  return runClient(io, values, async (run) => {
    await run.client.patch(`${jobPath(uuid)}?action=cancel`);
    const job = (await run.client.get(jobPath(uuid))).body;
    if (run.json) run.printJson(job);
    else io.out(`Job ${uuid} cancelled: ${cellText(job.state)}, ${jobMessage(job)}\n`);
    return EXIT_OK;
  });
}
