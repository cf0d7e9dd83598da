import { parseArgs } from 'node:util';
import { writePackage } from '../../adapters/images/package-writer.js';
import { isValidVersion } from '../../core/model/software-package.js';
import { EXIT_OK, UsageError, type CliIo } from '../io.js';

export const PACKAGE_CREATE_HELP = `Usage: clusterimage package create --version V [--size BYTES] [--json] <out.tgz>

Writes a valid package that the server accepts: a gzip-compressed tar with a VERSION member and a payload
of --size random bytes (default 1 MiB). Use it to test your own automation.

Example:
  clusterimage package create --version 9.16.1 --size 104857600 9161_q_image.tgz
`;

export async function packageCreateCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      version: { type: 'string' },
      size: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help === true) {
    io.out(PACKAGE_CREATE_HELP);
    return EXIT_OK;
  }
  const out = positionals[0];
  if (out === undefined || positionals.length > 1) throw new UsageError('package create: exactly one output file is required');
  if (values.version === undefined || !isValidVersion(values.version)) {
    throw new UsageError('package create: --version is required ([0-9A-Za-z._-], at most 64 characters)');
  }
  const sizeText = values.size ?? '1048576';
  if (!/^\d+$/.test(sizeText)) throw new UsageError(`package create: --size must be a number of bytes, got "${sizeText}"`);
  const written = await writePackage(out, { version: values.version, size: Number(sizeText) });
  if (values.json === true) io.out(`${JSON.stringify({ file: out, version: values.version, ...written })}\n`);
  else io.out(`wrote ${out}: version ${values.version}, ${written.bytes} bytes, sha256 ${written.sha256}\n`);
  return EXIT_OK;
}
