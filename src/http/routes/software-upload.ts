import { once } from 'node:events';
import type { Readable } from 'node:stream';
import busboy from 'busboy';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errors, failures, JobFailure, OntapError } from '../../core/errors.js';
import type { UploadService, UploadSession } from '../../core/services/upload-service.js';
import { requireWrite } from '../auth.js';
import { sendError } from '../error-handler.js';
import { answerJob } from '../job-response.js';
import { parseQuery } from '../query/index.js';
import { registerPath, type HttpContext } from '../resource.js';
import { ErrorEnvelope, JobLink } from '../schemas/common.js';
import { globalParamsDoc } from '../openapi-params.js';

const MULTIPART = /^multipart\/form-data\s*(;|$)/i;

function rawQueryOf(request: FastifyRequest): string {
  const i = request.url.indexOf('?');
  return i < 0 ? '' : request.url.slice(i + 1);
}

/** Writes a part into the sink with backpressure; stops early when the session's signal aborts. */
async function pump(part: Readable, session: UploadSession, counter: { received: number }): Promise<void> {
  const sink = session.sink;
  const sinkError = once(sink, 'error').then(([err]: unknown[]) => {
    throw err;
  });
  sinkError.catch(() => undefined);
  const aborted = new Promise<never>((_, reject) => {
    const stop = (): void => {
      reject(new JobFailure('0', 'aborted'));
    };
    if (session.signal.aborted) stop();
    else session.signal.addEventListener('abort', stop, { once: true });
  });
  aborted.catch(() => undefined);
  for await (const chunk of part as AsyncIterable<Buffer>) {
    counter.received += chunk.length;
    if (!sink.write(chunk)) await Promise.race([once(sink, 'drain'), sinkError, aborted]);
    if (session.signal.aborted) await aborted;
    session.progress(counter.received);
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
    const parser = busboy({ headers: request.headers, limits: { files: 1, fields: 16, parts: 32 }, preservePath: false });

    // Written from busboy's callbacks, read after the body ends.
    const st: {
      session: UploadSession | null;
      pumping: Promise<void> | null;
      early: OntapError | null;
      extraFile: boolean;
    } = { session: null, pumping: null, early: null, extraFile: false };
    const counter = { received: 0 };
    const fail = (err: OntapError): void => {
      if (st.session !== null) st.session.bodyFailed(failures.rejectedRequest(err));
      else st.early ??= err;
    };

    parser.on('file', (name, stream, info) => {
      if (name !== 'file') {
        stream.resume();
        fail(errors.unexpectedArgument(name));
        return;
      }
      if (st.session !== null || st.pumping !== null || st.early !== null) {
        stream.resume();
        return;
      }
      stream.pause();
      st.pumping = (async () => {
        let session: UploadSession;
        try {
          session = await uploads.begin(info.filename ?? '', expected);
        } catch (err) {
          stream.resume();
          if (err instanceof OntapError) st.early ??= err;
          else throw err;
          return;
        }
        st.session = session;
        await pump(stream, session, counter);
      })();
      st.pumping.catch(() => undefined);
    });
    parser.on('field', (name) => {
      fail(name === 'file' ? errors.invalidType('file', 'a file part with a filename') : errors.unexpectedArgument(name));
    });
    parser.on('filesLimit', () => {
      st.extraFile = true;
    });

    const finished = new Promise<void>((resolve, reject) => {
      parser.on('close', resolve);
      parser.on('error', reject);
      request.raw.on('aborted', () => {
        reject(new Error('client aborted'));
      });
    });
    request.raw.pipe(parser);

    let transportError: unknown = null;
    try {
      await finished;
      if (st.pumping !== null) await st.pumping;
    } catch (err) {
      transportError = err;
      request.raw.unpipe(parser);
      parser.destroy();
    }
    const current = st.session;
    const early = st.early;
    if (current === null) {
      reply.header('connection', 'close');
      const err = early ?? (transportError !== null ? errors.invalidJson() : errors.missingRequired('file'));
      return sendError(request, reply, err);
    }
    if (transportError !== null) {
      const failure =
        transportError instanceof JobFailure && transportError.code !== '0'
          ? transportError
          : failures.uploadAborted(counter.received);
      current.bodyFailed(failure);
    } else if (st.extraFile) {
      current.bodyFailed(failures.rejectedRequest(errors.moreThanOneFile()));
    } else if (early !== null) {
      current.bodyFailed(failures.rejectedRequest(early));
    } else {
      current.bodyDone();
    }
    if (transportError !== null || st.extraFile || early !== null || current.signal.aborted) {
      reply.header('connection', 'close');
      return answerJob(request, reply, current.job, 120, ctx.runner, ctx.jobs, query.pretty);
    }
    return answerJob(request, reply, current.job, query.returnTimeout, ctx.runner, ctx.jobs, query.pretty);
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
