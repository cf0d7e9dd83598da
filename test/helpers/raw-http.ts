import { connect } from 'node:net';

export interface RawResponse {
  readonly status: number;
  /** Lower-cased names; repeated headers joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

export type RawOutcome =
  | { readonly kind: 'response'; readonly response: RawResponse }
  /** The connection ended or broke without a complete response head. */
  | { readonly kind: 'closed'; readonly error: string | null };

/**
 * Sends bytes exactly as given on a fresh TCP connection and reads until the server closes it (requests
 * should carry `Connection: close`). Nothing is validated or normalised on the way out, so a test can send
 * anything a hostile client could. Rejects past the deadline, which means the server hung.
 */
export function rawExchange(
  host: string,
  port: number,
  request: Buffer,
  deadlineMs = 20_000,
): Promise<RawOutcome> {
  return new Promise<RawOutcome>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let error: string | null = null;
    const socket = connect(port, host);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${deadlineMs} ms`));
    }, deadlineMs);
    // Not end(): a half-closed connection makes Node's HTTP server abort requests still in progress.
    socket.on('connect', () => {
      socket.write(request);
    });
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      // A keep-alive answer (e.g. to an Upgrade request) is complete once its Content-Length has arrived.
      if (isComplete(Buffer.concat(chunks))) socket.destroy();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      error = err.code ?? err.message;
    });
    socket.on('close', () => {
      clearTimeout(timer);
      const response = parseResponse(Buffer.concat(chunks));
      resolve(response === null ? { kind: 'closed', error } : { kind: 'response', response });
    });
  });
}

function isComplete(bytes: Buffer): boolean {
  const end = bytes.indexOf('\r\n\r\n');
  if (end < 0 || /^HTTP\/1\.[01] 1\d\d/.test(bytes.subarray(0, 16).toString('latin1'))) return false;
  const m = /\r\ncontent-length: *(\d+)/i.exec(bytes.subarray(0, end + 2).toString('latin1'));
  return m?.[1] !== undefined && bytes.length - (end + 4) >= Number(m[1]) && Number(m[1]) > 0;
}

/** Parses one HTTP/1.1 response (head, then a Content-Length, chunked or read-to-close body). */
export function parseResponse(input: Buffer): RawResponse | null {
  let bytes = input;
  // Interim answers (100 Continue) come before the real one.
  while (/^HTTP\/1\.[01] 1\d\d/.test(bytes.subarray(0, 16).toString('latin1'))) {
    const interim = bytes.indexOf('\r\n\r\n');
    if (interim < 0) return null;
    bytes = bytes.subarray(interim + 4);
  }
  const end = bytes.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const lines = bytes.subarray(0, end).toString('latin1').split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
  if (m?.[1] === undefined) return null;
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  let body = bytes.subarray(end + 4);
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) body = dechunk(body);
  else if (headers['content-length'] !== undefined)
    body = body.subarray(0, Number(headers['content-length']));
  return { status: Number(m[1]), headers, body };
}

function dechunk(bytes: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = bytes.indexOf('\r\n', at);
    if (eol < 0) break;
    const size = parseInt(bytes.subarray(at, eol).toString('latin1'), 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(bytes.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/** Builds a request; `headers` are written in order, duplicates allowed. Adds Host and Connection: close. */
export function buildRequest(
  method: string,
  target: string | Buffer,
  headers: readonly (readonly [string, string])[],
  body: Buffer | null,
  options: { contentLength?: boolean } = {},
): Buffer {
  const head: Buffer[] = [
    Buffer.from(`${method} `, 'latin1'),
    Buffer.isBuffer(target) ? target : Buffer.from(target, 'latin1'),
  ];
  head.push(Buffer.from(' HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n', 'latin1'));
  for (const [name, value] of headers) head.push(Buffer.from(`${name}: ${value}\r\n`, 'latin1'));
  if (body !== null && options.contentLength !== false)
    head.push(Buffer.from(`Content-Length: ${body.length}\r\n`, 'latin1'));
  head.push(Buffer.from('\r\n', 'latin1'));
  if (body !== null) head.push(body);
  return Buffer.concat(head);
}
