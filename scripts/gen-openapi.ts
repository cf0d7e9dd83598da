/**
 * Writes openapi/clusterimage.openapi.json from the route schemas (generated, do not edit by hand).
 * With --check it exits 1 when the committed document differs from what the routes produce.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../src/config/load-config.js';
import { startServer } from '../src/server.js';

export const OPENAPI_PATH = 'openapi/clusterimage.openapi.json';

export async function generateOpenapi(): Promise<string> {
  const dataDir = await mkdtemp(join(tmpdir(), 'clusterimage-openapi-'));
  try {
    const config = loadConfig({ env: {}, flags: { host: '127.0.0.1', port: 0, dataDir, insecureHttp: true } });
    const server = await startServer({ config, logger: pino({ level: 'silent' }), adminPassword: 'unused', notice: () => undefined });
    try {
      return `${JSON.stringify(server.app.swagger(), null, 2)}\n`;
    } finally {
      await server.close();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

const isMain = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'));
if (isMain || process.argv[1]?.endsWith('gen-openapi.ts') === true) {
  const generated = await generateOpenapi();
  if (process.argv.includes('--check')) {
    const committed = await readFile(OPENAPI_PATH, 'utf8').catch(() => '');
    if (committed !== generated) {
      process.stderr.write(`${OPENAPI_PATH} is out of date: run "npm run openapi" and commit the result.\n`);
      process.exit(1);
    }
    process.stdout.write(`${OPENAPI_PATH} is up to date.\n`);
  } else {
    await writeFile(OPENAPI_PATH, generated);
    process.stdout.write(`wrote ${OPENAPI_PATH}\n`);
  }
}
