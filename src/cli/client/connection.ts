import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { UsageError, type CliIo } from '../io.js';

export const DEFAULT_URL = 'https://127.0.0.1:8443';
export const DEFAULT_USER = 'admin';

/** Options every client command takes, for `parseArgs`. */
export const CLIENT_OPTIONS = {
  url: { type: 'string' },
  user: { type: 'string' },
  insecure: { type: 'boolean' },
  'ca-file': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The help text block describing CLIENT_OPTIONS. */
export const CONNECTION_HELP = `Connection (every client command):
  --url URL           server, https://host:port (env CLUSTERIMAGE_URL; default ${DEFAULT_URL})
  --user NAME         API user (env CLUSTERIMAGE_USER; default ${DEFAULT_USER})
  --ca-file FILE      trust this PEM CA bundle or server certificate
  --insecure          do not verify the server's TLS certificate
  --json              print one JSON document on standard output
  -h, --help          show this help
  The password comes from CLUSTERIMAGE_PASSWORD, or is prompted for when standard input is a terminal.`;

export interface ClientOptionValues {
  readonly url?: string | undefined;
  readonly user?: string | undefined;
  readonly insecure?: boolean | undefined;
  readonly 'ca-file'?: string | undefined;
}

export interface ConnectionSettings {
  /** `scheme://host:port`, no trailing slash. */
  readonly baseUrl: string;
  readonly user: string;
  readonly password: string;
  readonly insecure: boolean;
  /** PEM text of --ca-file. */
  readonly ca: string | undefined;
}

/** Checks `--url` (or CLUSTERIMAGE_URL) and returns its origin. */
export function parseBaseUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--url "${text}" is not a URL; expected https://host:port`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new UsageError(`--url must start with https:// or http://, got "${text}"`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new UsageError('--url must not contain a user or password; use --user and CLUSTERIMAGE_PASSWORD');
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '') {
    throw new UsageError(`--url must be only scheme, host and port (https://host:port), got "${text}"`);
  }
  return url.origin;
}

/**
 * Resolves where and as whom to connect: options first, then the environment, then defaults; the password from
 * CLUSTERIMAGE_PASSWORD or a no-echo prompt on a terminal. `stdinTaken` says standard input is reserved for
 * another secret (`--password-stdin`), so it cannot be prompted on.
 */
export async function resolveConnection(
  values: ClientOptionValues,
  io: CliIo,
  stdinTaken = false,
): Promise<ConnectionSettings> {
  const baseUrl = parseBaseUrl(values.url ?? nonEmpty(io.env.CLUSTERIMAGE_URL) ?? DEFAULT_URL);
  const user = values.user ?? nonEmpty(io.env.CLUSTERIMAGE_USER) ?? DEFAULT_USER;
  if (user === '' || user.includes(':')) throw new UsageError('--user must be a non-empty name without ":"');
  const insecure = values.insecure === true;
  const caFile = values['ca-file'];
  if (insecure && caFile !== undefined) throw new UsageError('use either --insecure or --ca-file, not both');
  let ca: string | undefined;
  if (caFile !== undefined) {
    try {
      ca = await readFile(caFile, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read --ca-file "${caFile}": ${(err as Error).message}`);
    }
    if (!ca.includes('-----BEGIN CERTIFICATE-----')) throw new UsageError(`--ca-file "${caFile}" holds no PEM certificate`);
  }
  let password = io.env.CLUSTERIMAGE_PASSWORD;
  if (password === undefined) {
    if (stdinTaken || io.stdinIsTty !== true) {
      throw new UsageError(
        `no password for "${user}": set CLUSTERIMAGE_PASSWORD` +
          (stdinTaken ? ' (standard input carries the --password-stdin secret)' : ' (standard input is not a terminal, so it cannot be prompted for)'),
      );
    }
    password = await promptSecret(io, `Password for ${user} at ${baseUrl}: `);
  }
  return { baseUrl, user, password, insecure, ca };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/** Reads one line from a terminal without echoing it; the prompt goes to standard error. */
export async function promptSecret(io: CliIo, prompt: string): Promise<string> {
  const muted = new Writable({
    write(_chunk, _encoding, callback) {
      callback();
    },
  });
  const rl = createInterface({ input: io.stdin, output: muted, terminal: true });
  io.err(prompt);
  try {
    return await new Promise<string>((resolve, reject) => {
      rl.on('SIGINT', () => {
        reject(new Error('password prompt cancelled'));
      });
      rl.on('close', () => {
        reject(new Error('password prompt closed before a line was entered'));
      });
      rl.question('', resolve);
    });
  } finally {
    io.err('\n');
    rl.close();
  }
}
