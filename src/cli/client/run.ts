import { EXIT_FAILED, type CliIo } from '../io.js';
import { resolveConnection, type ClientOptionValues } from './connection.js';
import { ApiError, ConnectionError, JobFailedError } from './errors.js';
import { RestClient } from './rest-client.js';

export interface ClientRun {
  readonly client: RestClient;
  readonly io: CliIo;
  readonly json: boolean;
  /** Prints one JSON document on standard output. */
  printJson(value: unknown): void;
}

export function printJson(io: CliIo, value: unknown): void {
  io.out(`${JSON.stringify(value, null, 2)}\n`);
}

/** `Error: <ONTAP message> (code <code>)` plus a hint for authentication problems. */
export function describeError(err: ApiError | ConnectionError | JobFailedError, user: string): string {
  if (err instanceof ConnectionError) return `Error: ${err.message}\n`;
  const code = err instanceof JobFailedError ? String(err.code) : err.code;
  let text = `Error: ${err.message}${code !== '' ? ` (code ${code})` : ''}\n`;
  if (err instanceof ApiError && err.status === 401) {
    text += `Check the user name and password: user "${user}" (--user or CLUSTERIMAGE_USER) and CLUSTERIMAGE_PASSWORD.\n`;
  } else if (err instanceof ApiError && err.status === 403) {
    text += `The user "${user}" may only read: this command needs a user with the admin role.\n`;
  }
  return text;
}

function errorJson(err: ApiError | ConnectionError | JobFailedError): unknown {
  if (err instanceof JobFailedError) return { job: err.job, error: { message: err.message, code: String(err.code) } };
  if (err instanceof ApiError) {
    return { error: { message: err.message, code: err.code, status: err.status, ...(err.target !== undefined ? { target: err.target } : {}) } };
  }
  return { error: { message: err.message, code: err.code } };
}

/**
 * Connects (options, environment, prompt), runs `body` and maps what the server or the network said to the
 * exit code: server errors, failed jobs and connection problems print one sentence and give 1. Usage errors
 * are left to the caller (exit 2).
 */
export async function runClient(
  io: CliIo,
  values: ClientOptionValues & { readonly json?: boolean | undefined },
  body: (run: ClientRun) => Promise<number>,
  options: { readonly stdinTaken?: boolean; readonly beforeConnect?: () => Promise<void> } = {},
): Promise<number> {
  const settings = await resolveConnection(values, io, options.stdinTaken ?? false);
  if (options.beforeConnect !== undefined) await options.beforeConnect();
  const client = new RestClient(settings);
  const json = values.json === true;
  try {
    return await body({ client, io, json, printJson: (value) => { printJson(io, value); } });
  } catch (err) {
    if (err instanceof ApiError || err instanceof ConnectionError || err instanceof JobFailedError) {
      io.err(describeError(err, settings.user));
      if (json) printJson(io, errorJson(err));
      return EXIT_FAILED;
    }
    throw err;
  } finally {
    await client.close().catch(() => undefined);
  }
}
