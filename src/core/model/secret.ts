import { inspect } from 'node:util';

/**
 * A credential that redacts itself. `toString`, `toJSON` and `util.inspect` print `***`, so a Secret that
 * reaches a log line, a JSON body or an error message leaks nothing. Only adapters call `reveal()`,
 * at the moment they hand the value to the remote server.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return '***';
  }

  toJSON(): string {
    return '***';
  }

  [inspect.custom](): string {
    return 'Secret(***)';
  }
}
