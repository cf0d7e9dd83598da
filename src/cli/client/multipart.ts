import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';

export interface MultipartFile {
  /** The streamed multipart/form-data body: the part headers, the file read in chunks, the closing boundary. */
  readonly stream: Readable;
  readonly contentType: string;
  /** Exact length of the body, sent as Content-Length (the server's progress percent uses it). */
  readonly contentLength: number;
}

/** `filename="..."` for ASCII names, RFC 5987 `filename*=UTF-8''...` otherwise; quotes and CR/LF escaped. */
export function dispositionFileName(name: string): string {
  if (/^[\x20-\x7e]*$/.test(name)) return `filename="${name.replace(/["\\]/g, (c) => encodeURIComponent(c))}"`;
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `filename*=UTF-8''${encoded}`;
}

/**
 * Builds a one-part (`file`) multipart body that streams `path` from disk: nothing is buffered beyond the
 * read stream's chunks. `onBytes` is told how many file bytes have been handed to the connection so far.
 */
export function multipartFileBody(path: string, fileName: string, size: number, onBytes: (sent: number) => void): MultipartFile {
  const boundary = `clusterimage-${randomBytes(16).toString('hex')}`;
  const head = Buffer.from(
    `--${boundary}\r\n` +
      `Content-Disposition: form-data; name="file"; ${dispositionFileName(fileName)}\r\n` +
      'Content-Type: application/octet-stream\r\n\r\n',
    'utf8',
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8');
  async function* parts(): AsyncGenerator<Buffer> {
    yield head;
    let sent = 0;
    for await (const chunk of createReadStream(path, { highWaterMark: 256 * 1024 }) as AsyncIterable<Buffer>) {
      sent += chunk.length;
      yield chunk;
      onBytes(sent);
    }
    if (sent !== size) throw new Error(`the file changed while it was sent: read ${sent} bytes, expected ${size}`);
    yield tail;
  }
  return {
    stream: Readable.from(parts(), { objectMode: false }),
    contentType: `multipart/form-data; boundary=${boundary}`,
    contentLength: head.length + size + tail.length,
  };
}
