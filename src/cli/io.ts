/** Where a command writes; injectable so commands can be tested in-process. */
export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
  readonly stdin: NodeJS.ReadableStream;
  /** Whether standard output is a terminal. */
  readonly isTty: boolean;
  /** Whether standard input is a terminal (a password may then be prompted for). */
  readonly stdinIsTty?: boolean;
  /** Whether standard error is a terminal (live progress bars are drawn there). */
  readonly errIsTty?: boolean;
  /** Width of the terminal behind standard error, when it is one. */
  readonly columns?: number;
}

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export class UsageError extends Error {
  /** The command whose help the message should point to, e.g. `package get`. */
  readonly helpFor: string | undefined;

  constructor(message: string, helpFor?: string) {
    super(message);
    this.name = 'UsageError';
    this.helpFor = helpFor;
  }
}

/** Reads all of stdin and returns its first line (for `--password-stdin`). */
export async function readStdinLine(stdin: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin as AsyncIterable<Buffer | string>) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  }
  return (Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '').trimEnd();
}
