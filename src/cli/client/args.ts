import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../io.js';

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

export type ParsedCommand<O extends OptionsConfig> = ReturnType<
  typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>
>;

/** `parseArgs` in strict mode; a bad option becomes a UsageError that points to `clusterimage <helpFor> --help`. */
export function parseCommandArgs<const O extends OptionsConfig>(argv: string[], options: O, helpFor: string): ParsedCommand<O> {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) throw new UsageError((err as Error).message, helpFor);
    throw err;
  }
}
