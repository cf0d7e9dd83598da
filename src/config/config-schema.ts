/**
 * Every setting, its default and its one-line description. This table is the single source for validation,
 * for `docs/configuration.md` and for `config/example.yaml`.
 */

export type SettingType = 'string' | 'integer' | 'boolean' | 'string[]' | 'nodes';

export interface SettingSpec {
  readonly type: SettingType;
  readonly default: unknown;
  readonly description: string;
  /** Environment variable that overrides the file. */
  readonly env?: string;
  /** Command-line flag of `serve` that overrides everything. */
  readonly flag?: string;
  readonly min?: number;
  readonly max?: number;
}

export const SETTINGS = {
  host: {
    type: 'string',
    default: '127.0.0.1',
    description: 'Address to listen on.',
    env: 'CLUSTERIMAGE_HOST',
    flag: 'host',
  },
  port: {
    type: 'integer',
    default: 8443,
    min: 0,
    max: 65535,
    description: 'TCP port to listen on (0 picks a free one).',
    env: 'CLUSTERIMAGE_PORT',
    flag: 'port',
  },
  dataDir: {
    type: 'string',
    default: './data',
    description: 'Folder for the database, the package repository and the TLS certificate.',
    env: 'CLUSTERIMAGE_DATA_DIR',
    flag: 'data-dir',
  },
  insecureHttp: {
    type: 'boolean',
    default: false,
    description: 'Serve plain HTTP (only behind a TLS-terminating proxy).',
    flag: 'insecure-http',
  },
  tlsCertFile: {
    type: 'string',
    default: '',
    description: 'PEM certificate (chain) to serve; empty = a self-signed one made in the data folder.',
  },
  tlsKeyFile: { type: 'string', default: '', description: 'PEM private key for tlsCertFile.' },
  logLevel: {
    type: 'string',
    default: 'info',
    description: 'Log level: fatal, error, warn, info, debug, trace or silent.',
    env: 'CLUSTERIMAGE_LOG_LEVEL',
  },
  clusterName: {
    type: 'string',
    default: 'cluster1',
    description: 'Cluster name reported by GET /api/cluster.',
  },
  clusterVersion: {
    type: 'string',
    default: '9.16.1',
    description: 'ONTAP release the simulated cluster runs (>= 9.7 for real clients).',
  },
  nodes: {
    type: 'nodes',
    default: [
      { name: 'cluster1-01', model: 'SIMBOX' },
      { name: 'cluster1-02', model: 'SIMBOX' },
    ],
    description: 'Nodes of the simulated cluster: a list of {name, model}.',
  },
  jobRetentionSeconds: {
    type: 'integer',
    default: 300,
    min: 0,
    max: 31_536_000,
    description: 'How long a finished job stays visible (ONTAP: 300 s).',
  },
  transferTimeLimitSeconds: {
    type: 'integer',
    default: 3600,
    min: 1,
    max: 604_800,
    description: 'Longest a download or upload may take (10551383 / 10551373).',
  },
  connectTimeoutSeconds: {
    type: 'integer',
    default: 30,
    min: 1,
    max: 3600,
    description: 'Time allowed to connect to an origin.',
  },
  idleTimeoutSeconds: {
    type: 'integer',
    default: 60,
    min: 1,
    max: 3600,
    description: 'Time an origin may send nothing before the download fails.',
  },
  maxRedirects: {
    type: 'integer',
    default: 5,
    min: 0,
    max: 20,
    description: 'HTTP redirects followed per download.',
  },
  resumeAttempts: {
    type: 'integer',
    default: 3,
    min: 0,
    max: 100,
    description: 'Times a broken transfer is resumed (HTTP Range, FTP REST) before it fails.',
  },
  transferWorker: {
    type: 'boolean',
    default: true,
    description:
      'Run downloads (the connection, the hash, the archive check and the writes) in a worker thread, off the thread that serves the API.',
  },
  directWrites: {
    type: 'boolean',
    default: true,
    description:
      'Write packages to disk with O_DIRECT (no copy into the page cache) where the filesystem supports it.',
    env: 'CLUSTERIMAGE_DIRECT_WRITES',
  },
  passWorker: {
    type: 'boolean',
    default: true,
    description:
      'Hash, check and write package bytes in a worker thread of their own, beside the thread that receives them.',
    env: 'CLUSTERIMAGE_PASS_WORKER',
  },
  maxPackageBytes: {
    type: 'integer',
    default: 17_179_869_184,
    min: 1,
    max: Number.MAX_SAFE_INTEGER,
    description: 'Largest package accepted, in bytes (default 16 GiB).',
  },
  minFreeBytes: {
    type: 'integer',
    default: 268_435_456,
    min: 0,
    max: Number.MAX_SAFE_INTEGER,
    description: 'Free space a transfer must leave on the repository device, in bytes.',
  },
  caFiles: {
    type: 'string[]',
    default: [],
    description:
      'Extra PEM CA bundles trusted for HTTPS and FTPS origins (ONTAP: security certificate install -type server-ca).',
  },
  insecureHosts: {
    type: 'string[]',
    default: [],
    description:
      'Origin host names whose TLS certificates are NOT verified (logged as a warning on every use).',
  },
  allowHosts: {
    type: 'string[]',
    default: [],
    description:
      'Download host policy: if not empty, only these host names (*.example.com) and CIDRs may be reached.',
  },
  denyHosts: {
    type: 'string[]',
    default: [],
    description:
      'Download host policy: host names and CIDRs never reached (link-local and cloud metadata are always denied).',
  },
} as const satisfies Record<string, SettingSpec>;

export type SettingName = keyof typeof SETTINGS;

export interface NodeConfig {
  readonly name: string;
  readonly model: string;
}

export interface Config {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly insecureHttp: boolean;
  readonly tlsCertFile: string;
  readonly tlsKeyFile: string;
  readonly logLevel: string;
  readonly clusterName: string;
  readonly clusterVersion: string;
  readonly nodes: readonly NodeConfig[];
  readonly jobRetentionSeconds: number;
  readonly transferTimeLimitSeconds: number;
  readonly connectTimeoutSeconds: number;
  readonly idleTimeoutSeconds: number;
  readonly maxRedirects: number;
  readonly resumeAttempts: number;
  readonly transferWorker: boolean;
  readonly directWrites: boolean;
  readonly passWorker: boolean;
  readonly maxPackageBytes: number;
  readonly minFreeBytes: number;
  readonly caFiles: readonly string[];
  readonly insecureHosts: readonly string[];
  readonly allowHosts: readonly string[];
  readonly denyHosts: readonly string[];
}
