import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../../config/load-config.js';
import { raiseMallocThresholds } from '../../malloc-thresholds.js';
import { startServer } from '../../server.js';
import { EXIT_FAILED, EXIT_OK, UsageError, type CliIo } from '../io.js';

export const SERVE_HELP = `Usage: clusterimage serve [options]

Starts the ONTAP-compatible REST server.

Options:
  --host HOST         address to listen on (default 127.0.0.1; env CLUSTERIMAGE_HOST)
  --port PORT         TCP port (default 8443; env CLUSTERIMAGE_PORT)
  --data-dir DIR      database, packages and certificate (default ./data; env CLUSTERIMAGE_DATA_DIR)
  --insecure-http     serve plain HTTP, for use behind a TLS proxy
  --config FILE       YAML or JSON settings file (see config/example.yaml)
  -h, --help          show this help

Precedence: defaults < config file < environment < options.
On the first start the user "admin" is created with CLUSTERIMAGE_ADMIN_PASSWORD, or a generated password
that is printed once.

Example:
  CLUSTERIMAGE_ADMIN_PASSWORD=secret clusterimage serve --port 8443 --data-dir /var/lib/clusterimage
`;

export async function serveCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      'data-dir': { type: 'string' },
      'insecure-http': { type: 'boolean' },
      config: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help === true) {
    io.out(SERVE_HELP);
    return EXIT_OK;
  }
  let config;
  try {
    config = loadConfig({
      file: values.config,
      env: io.env,
      flags: {
        host: values.host,
        port: values.port,
        dataDir: values['data-dir'],
        insecureHttp: values['insecure-http'],
      },
    });
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
  raiseMallocThresholds();
  let server;
  try {
    server = await startServer({
      config,
      notice: (line) => {
        io.out(`${line}\n`);
      },
    });
  } catch (err) {
    io.err(`clusterimage: cannot start: ${(err as Error).message}\n`);
    return EXIT_FAILED;
  }
  io.out(`clusterimage listening on ${server.url} (data folder ${config.dataDir})\n`);
  const running = server;
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      io.out(`${signal} received: shutting down\n`);
      running.close().then(resolve, (err: unknown) => {
        io.err(`clusterimage: error during shutdown: ${(err as Error).message}\n`);
        resolve();
      });
    };
    process.once('SIGINT', () => {
      stop('SIGINT');
    });
    process.once('SIGTERM', () => {
      stop('SIGTERM');
    });
  });
  return EXIT_OK;
}
