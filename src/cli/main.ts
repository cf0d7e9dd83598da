import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError, type CliIo } from './io.js';

export const MAIN_HELP = `Usage: clusterimage <command> [options]

An ONTAP-compatible REST server for the cluster software lifecycle, and its command-line client.

Client commands (talk to a running server over its REST API):
  package get <url>            download a package into the repository (cluster image package get)
  package upload <file>        upload a package file into the repository
  package show [version]       list the repository (cluster image package show-repository)
  package delete <version>     delete a package from the repository
  package download-status      state of the latest download (check-download-progress)
  job show [uuid]              list the jobs, or show one
  job watch <uuid>             follow a job until it ends
  job cancel <uuid>            cancel a running download or upload
  cluster show                 the cluster's name, version and nodes

  Connection: --url https://host:port, --user NAME, --ca-file FILE or --insecure; env CLUSTERIMAGE_URL,
  CLUSTERIMAGE_USER and CLUSTERIMAGE_PASSWORD (otherwise the password is prompted for on a terminal).
  --json prints one JSON document; get, upload and delete wait for their job unless --no-wait.

Server commands (local):
  serve                        start the server
  user add|list|delete|passwd  manage API users in a data folder
  package create               write a valid test package (.tgz)

Exit codes: 0 it worked, 1 the operation failed, 2 usage error.
Run "clusterimage <command> --help" for the options and an example of each.

Example:
  CLUSTERIMAGE_PASSWORD=secret clusterimage package show --url https://127.0.0.1:8443 --ca-file data/tls/server-cert.pem
`;

function defaultIo(): CliIo {
  return {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    env: process.env,
    stdin: process.stdin,
    isTty: process.stdout.isTTY,
    stdinIsTty: process.stdin.isTTY,
    errIsTty: process.stderr.isTTY,
    columns: process.stderr.columns,
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
      // Loaded on demand: the client commands start without the server's modules (fastify, SQLite).
      case 'serve':
        return await (await import('./commands/serve.js')).serveCommand(rest, io);
      case 'user':
        return await (await import('./commands/user.js')).userCommand(rest, io);
      case 'package':
        if (rest[0] === 'create') return await (await import('./commands/package-create.js')).packageCreateCommand(rest.slice(1), io);
        return await (await import('./commands/package-client.js')).packageClientCommand(rest[0], rest.slice(1), io);
      case 'job':
        return await (await import('./commands/job.js')).jobCommand(rest, io);
      case 'cluster':
        return await (await import('./commands/cluster.js')).clusterCommand(rest, io);
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: unknown }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ||
        String((err as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS')) {
      const sub = rest[0];
      const fallback =
        command !== undefined && ['package', 'job', 'cluster'].includes(command) && sub !== undefined && /^[a-z-]+$/.test(sub)
          ? `${command} ${sub}`
          : (command ?? '');
      const helpFor = err instanceof UsageError && err.helpFor !== undefined ? err.helpFor : fallback;
      io.err(`clusterimage: ${(err as Error).message}\nRun "clusterimage ${helpFor} --help" for usage.\n`);
      return EXIT_USAGE;
    }
    io.err(`clusterimage: ${(err as Error).message}\n`);
    return EXIT_FAILED;
  }
}
