import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError, type CliIo } from './io.js';
import { serveCommand } from './commands/serve.js';
import { userCommand } from './commands/user.js';
import { packageCreateCommand } from './commands/package-create.js';

export const MAIN_HELP = `Usage: clusterimage <command> [options]

An ONTAP-compatible REST server for the cluster software lifecycle, and its command-line client.

Server commands (local):
  serve                      start the server
  user add|list|delete|passwd  manage API users in a data folder
  package create             write a valid test package (.tgz)

Run "clusterimage <command> --help" for the options and an example of each.
`;

function defaultIo(): CliIo {
  return {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    env: process.env,
    stdin: process.stdin,
    isTty: process.stdout.isTTY,
  };
}

/** Runs one command line and returns the exit code: 0 worked, 1 the operation failed, 2 usage error. */
export async function main(argv: string[], io: CliIo = defaultIo()): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        io.out(MAIN_HELP);
        return command === undefined ? EXIT_USAGE : EXIT_OK;
      case 'serve':
        return await serveCommand(rest, io);
      case 'user':
        return await userCommand(rest, io);
      case 'package':
        if (rest[0] === 'create') return await packageCreateCommand(rest.slice(1), io);
        throw new UsageError(`unknown package command "${rest[0] ?? ''}"`);
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: unknown }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ||
        String((err as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS')) {
      io.err(`clusterimage: ${(err as Error).message}\nRun "clusterimage ${command ?? ''} --help" for usage.\n`);
      return EXIT_USAGE;
    }
    io.err(`clusterimage: ${(err as Error).message}\n`);
    return EXIT_FAILED;
  }
}
