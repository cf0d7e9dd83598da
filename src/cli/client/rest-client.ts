import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { Agent, request } from 'undici';
import type { ConnectionSettings } from './connection.js';
import { ApiError, connectionErrorOf } from './errors.js';

export type JsonRecord = Record<string, unknown>;

export interface ApiAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The parsed JSON body; an empty object when the body was empty. */
  readonly body: JsonRecord;
}

export interface SendOptions {
  /** A JSON body. */
  readonly json?: JsonRecord;
  /** A streamed body, sent as is (with `headers` describing it). */
  readonly stream?: Readable;
  readonly headers?: Record<string, string>;
  /** Wait this long for the answer's headers, in ms (0 = no limit; default 60 s). */
  readonly headersTimeoutMs?: number;
}

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A thin client for the clusterimage (ONTAP) REST API: Basic auth on every request, TLS trust from the
 * connection settings, HAL answers parsed as JSON. An HTTP error answer becomes an ApiError with ONTAP's
 * message and code; a transport failure becomes a ConnectionError that says what to check.
 */
export class RestClient {
  readonly baseUrl: string;
  readonly user: string;
  readonly #agent: Agent;
  readonly #authorization: string;

  constructor(settings: ConnectionSettings) {
    this.baseUrl = settings.baseUrl;
    this.user = settings.user;
    this.#authorization = `Basic ${Buffer.from(`${settings.user}:${settings.password}`, 'utf8').toString('base64')}`;
    this.#agent = new Agent({
      connect: {
        rejectUnauthorized: !settings.insecure,
        ...(settings.ca !== undefined ? { ca: settings.ca } : {}),
        timeout: 30_000,
      },
    });
  }

  get(path: string): Promise<ApiAnswer> {
    return this.send('GET', path);
  }

  post(path: string, json?: JsonRecord): Promise<ApiAnswer> {
    return this.send('POST', path, json !== undefined ? { json } : {});
  }

  patch(path: string): Promise<ApiAnswer> {
    return this.send('PATCH', path);
  }

  delete(path: string): Promise<ApiAnswer> {
    return this.send('DELETE', path);
  }

  async send(method: Method, path: string, options: SendOptions = {}): Promise<ApiAnswer> {
    const headers: Record<string, string> = {
      authorization: this.#authorization,
      accept: 'application/hal+json',
      'user-agent': 'clusterimage-cli',
      ...(options.headers ?? {}),
    };
    let body: string | Readable | undefined;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers['content-type'] = 'application/json';
    } else if (options.stream !== undefined) {
      body = options.stream;
    }
    let status: number;
    let responseHeaders: IncomingHttpHeaders;
    let text: string;
    try {
      const res = await request(`${this.baseUrl}${path}`, {
        method,
        headers,
        dispatcher: this.#agent,
        ...(body !== undefined ? { body } : {}),
        ...(options.headersTimeoutMs !== undefined ? { headersTimeout: options.headersTimeoutMs } : {}),
      });
      status = res.statusCode;
      responseHeaders = res.headers;
      text = await res.body.text();
    } catch (err) {
      throw connectionErrorOf(err, this.baseUrl);
    }
    let parsed: unknown = {};
    if (text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
    }
    if (status >= 400) throw apiErrorOf(status, parsed, text);
    if (!isRecord(parsed)) {
      throw new ApiError(status, `The server answered ${method} ${path} with a body that is not a JSON object.`, '');
    }
    return { status, headers: responseHeaders, body: parsed };
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }
}

function apiErrorOf(status: number, parsed: unknown, text: string): ApiError {
  const error = isRecord(parsed) ? parsed.error : undefined;
  if (isRecord(error) && typeof error.message === 'string') {
    const code = typeof error.code === 'string' || typeof error.code === 'number' ? String(error.code) : '';
    const target = typeof error.target === 'string' ? error.target : undefined;
    return new ApiError(status, error.message, code, target);
  }
  const snippet = text.trim().slice(0, 200);
  return new ApiError(status, `The server answered HTTP ${status}${snippet !== '' ? `: ${snippet}` : ''}.`, '');
}
