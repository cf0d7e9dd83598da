import { request, type ClientRequest, type IncomingMessage } from 'node:http';

export const BOUNDARY = 'clusterimage-test-boundary-7d1f';

/** The part header of a `file` part (or another name) as busboy expects it. */
export function partHead(fileName: string | null, name = 'file'): Buffer {
  const disposition =
    fileName === null
      ? `Content-Disposition: form-data; name="${name}"`
      : `Content-Disposition: form-data; name="${name}"; filename="${fileName}"`;
  return Buffer.from(`--${BOUNDARY}\r\n${disposition}\r\nContent-Type: application/octet-stream\r\n\r\n`);
}

export const CLOSING = Buffer.from(`\r\n--${BOUNDARY}--\r\n`);

/** A whole multipart body with one file part. */
export function multipartBody(fileName: string, data: Buffer): Buffer {
  return Buffer.concat([partHead(fileName), data, CLOSING]);
}

export interface StreamingUpload {
  readonly req: ClientRequest;
  /** Resolves with the response, or with the transport error when the connection broke. */
  readonly done: Promise<{ response: IncomingMessage; body: string } | { error: Error }>;
}

/**
 * Starts `POST <url>/api/cluster/software/upload` with a chunked body the caller writes into `req`
 * (no Content-Length, so the server cannot know the size in advance). `auth` is the full Authorization value.
 */
export function startUpload(baseUrl: string, auth: string, query = ''): StreamingUpload {
  const req = request(`${baseUrl}/api/cluster/software/upload${query}`, {
    method: 'POST',
    headers: {
      authorization: auth,
      'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
      'transfer-encoding': 'chunked',
    },
  });
  const done = new Promise<{ response: IncomingMessage; body: string } | { error: Error }>((resolve) => {
    req.on('error', (error) => {
      resolve({ error });
    });
    req.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (c: Buffer) => chunks.push(c));
      response.on('end', () => {
        resolve({ response, body: Buffer.concat(chunks).toString('utf8') });
      });
      response.on('error', (error) => {
        resolve({ error });
      });
    });
  });
  return { req, done };
}

export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}
