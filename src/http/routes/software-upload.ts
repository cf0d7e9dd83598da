import { once } from 'node:events';
import type { Readable } from 'node:stream';
import busboy from 'busboy';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errors, failures, JobFailure, OntapError } from '../../core/errors.js';
import { abortCauseOf } from '../../core/jobs/abort-reasons.js';
import type { UploadService, UploadSession } from '../../core/services/upload-service.js';
import { requireWrite } from '../auth.js';
import { sendError } from '../error-handler.js';
import { answerJob } from '../job-response.js';
import { parseQuery } from '../query/index.js';
import { rawQueryOf, registerPath, type HttpContext } from '../resource.js';
import { ErrorEnvelope, JobLink } from '../schemas/common.js';
import { globalParamsDoc } from '../openapi-params.js';
import { bufferReclaimer } from '../../buffer-reclaimer.js';

const MULTIPART = /^multipart\/form-data\s*(;|$)/i;

type Outcome =
  | { readonly kind: 'complete' }
  | { readonly kind: 'refused'; readonly error: OntapError }
  | { readonly kind: 'failed'; readonly failure: JobFailure }
  | { readonly kind: 'error'; readonly error: unknown };

/** The failure for a transfer that stopped: the job's own (cancel, limit, no space) wins over "disconnected". */
function failureOf(session: UploadSession, received: number): JobFailure {
  const reason: unknown = session.signal.reason;
  return session.signal.aborted && reason instanceof JobFailure ? reason : failures.uploadAborted(received);
}

/**
 * Writes a part into the sink with backpressure. Stops at once when the session's signal aborts (cancel,
 * time limit, no space) or the sink fails: the part is destroyed, so the loop throws.
 */
async function pump(part: Readable, session: UploadSession, counter: { received: number }): Promise<void> {
  const sink = session.sink;
  const stop = (): void => {
    part.destroy(new JobFailure('0', 'aborted'));
  };
  const onSinkError = (err: Error): void => {
    part.destroy(err);
  };
  if (session.signal.aborted) stop();
  session.signal.addEventListener('abort', stop, { once: true });
  sink.on('error', onSinkError);
  // The request socket's 64 KiB reads are freed in small steps, before glibc would give their pages back to the
  // kernel only to fault them in again (docs/performance-analysis.md, session 6).
  const reclaim = bufferReclaimer();
  try {
    for await (const chunk of part as AsyncIterable<Buffer>) {
      counter.received += chunk.length;
      reclaim(counter.received);
      if (!sink.write(chunk)) await once(sink, 'drain', { signal: session.signal });
      session.progress(counter.received);
    }
  } finally {
    session.signal.removeEventListener('abort', stop);
    sink.off('error', onSinkError);
  }
}

/**
 * `POST /api/cluster/software/upload` (§7, D24): one `file` part streamed through the same staging, hash and
 * commit path as a download. The job exists from the moment the file part's headers are accepted, so a
 * cancel, a disconnect or an oversize body ends it in failure and leaves nothing behind.
 */
export function registerUploadRoute(app: FastifyInstance, uploads: UploadService, ctx: HttpContext): void {
  const handler = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    requireWrite(request);
    const query = parseQuery(rawQueryOf(request), {
      target: 'action',
      fields: {},
      keyFields: [],
      extraParams: { return_records: { type: 'boolean' } },
      defaultReturnTimeout: 0,
    });
    const contentType = request.headers['content-type'] ?? '';
    if (!MULTIPART.test(contentType)) throw errors.notMultipart();

    const lengthHeader = Number(request.headers['content-length']);
    const expected = Number.isFinite(lengthHeader) && lengthHeader > 0 ? lengthHeader : null;
    let parser: ReturnType<typeof busboy>;
    try {
      parser = busboy({
        headers: request.headers,
        limits: { files: 1, fields: 16, parts: 32 },
        preservePath: false,
      });
    } catch {
      // busboy refuses a multipart type without a usable boundary: that is not multipart/form-data either.
      request.raw.resume();
      throw errors.notMultipart();
    }

    // Written from busboy's callbacks; the first outcome settles the request.
    const st = {
      session: null as UploadSession | null,
      started: false,
      pumped: false,
      closed: false,
      extraFile: false,
    };
    const counter = { received: 0 };
    let settle!: (outcome: Outcome) => void;
    const outcome = new Promise<Outcome>((resolve) => (settle = resolve));
    const maybeComplete = (): void => {
      if (st.closed && (!st.started || st.pumped)) settle({ kind: 'complete' });
    };
    const refuse = (err: OntapError): void => {
      if (st.session !== null) settle({ kind: 'failed', failure: failures.rejectedRequest(err) });
      else settle({ kind: 'refused', error: err });
    };

    parser.on('file', (name, stream, info) => {
      // Destroying the parser early (a refusal) fails the part's stream; that is expected, not a crash.
      stream.on('error', () => undefined);
      if (name !== 'file') {
        stream.resume();
        refuse(errors.unexpectedArgument(name));
        return;
      }
      if (st.started) {
        stream.resume();
        return;
      }
      st.started = true;
      stream.pause();
      uploads.begin(info.filename ?? '', expected).then(
        async (session) => {
          st.session = session;
          try {
            await pump(stream, session, counter);
            st.pumped = true;
            maybeComplete();
          } catch (err) {
            stream.resume();
            settle({
              kind: 'failed',
              failure:
                err instanceof JobFailure && err.code !== '0' ? err : failureOf(session, counter.received),
            });
          }
        },
        (err: unknown) => {
          stream.resume();
          if (err instanceof OntapError) refuse(err);
          else settle({ kind: 'error', error: err });
        },
      );
    });
    parser.on('field', (name) => {
      refuse(
        name === 'file'
          ? errors.invalidType('file', 'a file part with a filename')
          : errors.unexpectedArgument(name),
      );
    });
    parser.on('filesLimit', () => {
      st.extraFile = true;
    });
    parser.on('close', () => {
      st.closed = true;
      maybeComplete();
    });
    parser.on('error', () => {
      settle({ kind: 'failed', failure: failures.uploadAborted(counter.received) });
    });
    request.raw.on('aborted', () => {
      settle({ kind: 'failed', failure: failures.uploadAborted(counter.received) });
    });
    request.raw.pipe(parser);

    let result = await outcome;
    if (result.kind === 'complete' && st.session !== null && st.extraFile) {
      result = { kind: 'failed', failure: failures.rejectedRequest(errors.moreThanOneFile()) };
    }
    const session = st.session;
    if (result.kind !== 'complete') {
      request.raw.unpipe(parser);
      parser.destroy();
      if (session !== null && abortCauseOf(session.signal) === 'time_limit') {
        // D24: a body received for longer than the transfer limit is cut off.
        reply.header('connection', 'close');
      } else {
        // The answer goes out now; the rest of the body is read and dropped so that a client still sending
        // it can read the answer (closing with unread data would reset the connection under it).
        request.raw.resume();
      }
    }
    switch (result.kind) {
      case 'error':
        throw result.error;
      case 'refused':
        if (session !== null) {
          session.bodyFailed(failures.rejectedRequest(result.error));
          return answerJob(request, reply, session.job, 120, ctx.runner, ctx.jobs, query.pretty);
        }
        return sendError(request, reply, result.error);
      case 'failed':
        if (session === null) return sendError(request, reply, errors.missingRequired('file'));
        session.bodyFailed(result.failure);
        return answerJob(request, reply, session.job, 120, ctx.runner, ctx.jobs, query.pretty);
      case 'complete':
        if (session === null) return sendError(request, reply, errors.missingRequired('file'));
        session.bodyDone();
        return answerJob(
          request,
          reply,
          session.job,
          query.returnTimeout,
          ctx.runner,
          ctx.jobs,
          query.pretty,
        );
    }
  };

  registerPath(
    app,
    '/api/cluster/software/upload',
    {
      writes: [
        {
          method: 'POST',
          handler,
          schema: {
            summary: 'Uploads a software package into the cluster package repository',
            description:
              'multipart/form-data with exactly one part named `file`. The body streams to disk; a job recognises ' +
              'and stores the package. Answers like the download POST.',
            consumes: ['multipart/form-data'],
            querystring: globalParamsDoc('action', { return_records: { type: 'boolean' } }, true),
            response: { 201: JobLink, 202: JobLink, default: ErrorEnvelope },
            security: [{ basicAuth: [] }],
          },
        },
      ],
    },
    'software',
  );
}
