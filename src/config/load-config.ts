import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { SETTINGS, type Config, type SettingName, type SettingSpec } from './config-schema.js';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const LOG_LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

function fromText(name: string, spec: SettingSpec, text: string, source: string): unknown {
  switch (spec.type) {
    case 'integer': {
      if (!/^-?\d+$/.test(text.trim()))
        throw new ConfigError(`${source}: "${name}" must be an integer, got "${text}"`);
      return Number(text);
    }
    case 'boolean': {
      const t = text.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on', ''].includes(t)) return true;
      if (['0', 'false', 'no', 'off'].includes(t)) return false;
      throw new ConfigError(`${source}: "${name}" must be true or false, got "${text}"`);
    }
    case 'string[]':
      return text
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
    default:
      return text;
  }
}

function check(name: string, spec: SettingSpec, value: unknown, source: string): unknown {
  const fail = (what: string): never => {
    throw new ConfigError(`${source}: "${name}" ${what}`);
  };
  switch (spec.type) {
    case 'string':
      if (typeof value !== 'string') fail('must be a string');
      break;
    case 'boolean':
      if (typeof value !== 'boolean') fail('must be true or false');
      break;
    case 'integer':
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) fail('must be an integer');
      if (spec.min !== undefined && (value as number) < spec.min) fail(`must be at least ${spec.min}`);
      if (spec.max !== undefined && (value as number) > spec.max) fail(`must be at most ${spec.max}`);
      break;
    case 'string[]':
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string'))
        fail('must be a list of strings');
      break;
    case 'nodes': {
      if (!Array.isArray(value) || value.length === 0) fail('must be a non-empty list of {name, model}');
      const names = new Set<string>();
      for (const n of value as unknown[]) {
        const node = n as { name?: unknown; model?: unknown };
        if (
          typeof n !== 'object' ||
          n === null ||
          typeof node.name !== 'string' ||
          typeof node.model !== 'string'
        ) {
          fail('entries must be {name, model} with string values');
        }
        if (!/^[A-Za-z0-9._-]{1,64}$/.test(node.name as string))
          fail(`has an invalid node name "${String(node.name)}"`);
        if (names.has(node.name as string)) fail(`names node "${String(node.name)}" twice`);
        names.add(node.name as string);
      }
      break;
    }
  }
  return value;
}

export interface ConfigSources {
  /** Path of a YAML or JSON file (`--config`). */
  readonly file?: string | undefined;
  readonly env?: NodeJS.ProcessEnv;
  /** Values from command-line flags, already typed. */
  readonly flags?: Partial<Record<SettingName, unknown>>;
}

/** Merges defaults < file < environment < flags, validates every value, and freezes the result. */
export function loadConfig(sources: ConfigSources = {}): Config {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(SETTINGS) as [SettingName, SettingSpec][])
    out[name] = spec.default;

  if (sources.file !== undefined) {
    let text: string;
    try {
      text = readFileSync(sources.file, 'utf8');
    } catch (err) {
      throw new ConfigError(`cannot read config file ${sources.file}: ${(err as Error).message}`);
    }
    let doc: unknown;
    try {
      doc = sources.file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
    } catch (err) {
      throw new ConfigError(`config file ${sources.file} is not valid YAML/JSON: ${(err as Error).message}`);
    }
    if (doc !== null && doc !== undefined) {
      if (typeof doc !== 'object' || Array.isArray(doc))
        throw new ConfigError(`config file ${sources.file} must hold a mapping`);
      for (const [key, value] of Object.entries(doc as Record<string, unknown>)) {
        if (!(key in SETTINGS))
          throw new ConfigError(`config file ${sources.file}: unknown setting "${key}"`);
        out[key] = check(key, SETTINGS[key as SettingName], value, `config file ${sources.file}`);
      }
    }
  }
  const env = sources.env ?? {};
  for (const [name, spec] of Object.entries(SETTINGS) as [SettingName, SettingSpec][]) {
    if (spec.env === undefined) continue;
    const raw = env[spec.env];
    if (raw === undefined || raw === '') continue;
    out[name] = check(
      name,
      spec,
      fromText(name, spec, raw, `environment ${spec.env}`),
      `environment ${spec.env}`,
    );
  }
  for (const [name, value] of Object.entries(sources.flags ?? {})) {
    if (value === undefined) continue;
    const spec: SettingSpec = SETTINGS[name as SettingName];
    const flag = `--${spec.flag ?? name}`;
    const typed =
      typeof value === 'string' && spec.type !== 'string' ? fromText(name, spec, value, flag) : value;
    out[name] = check(name, spec, typed, `option ${flag}`);
  }
  if (!LOG_LEVELS.has(out.logLevel as string))
    throw new ConfigError(`"logLevel" must be one of ${[...LOG_LEVELS].join(', ')}`);
  if ((out.tlsCertFile === '') !== (out.tlsKeyFile === '')) {
    throw new ConfigError('"tlsCertFile" and "tlsKeyFile" must be given together');
  }
  return Object.freeze(out) as unknown as Config;
}
