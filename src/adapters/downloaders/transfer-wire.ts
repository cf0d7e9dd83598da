import { JobFailure } from '../../core/errors.js';
import type { DownloadRequest } from '../../core/model/download-request.js';
import { Secret } from '../../core/model/secret.js';
import type { DownloadResult } from '../../core/ports/downloader.js';
import type { DelegatedPass, PassResult } from '../images/staged-file-sink.js';
import type { DownloaderSettings } from './downloader-set.js';

/** The messages between the server and its transfer worker. Credentials cross in memory only. */

export interface WireRequest extends Omit<DownloadRequest, 'credentials'> {
  readonly credentials: { readonly username: string; readonly password: string } | null;
}

export interface WireError {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
}

export interface WorkerData {
  readonly settings: DownloaderSettings;
  /** Start the worker's own pass worker with it, so that its start-up is not part of the first transfer. */
  readonly startPassWorker: boolean;
}

export type ToWorker =
  | {
      readonly type: 'download';
      readonly id: number;
      readonly request: WireRequest;
      readonly pass: DelegatedPass;
      readonly maxBytes: number;
    }
  | { readonly type: 'abort'; readonly id: number };

export type FromWorker =
  | {
      readonly type: 'progress';
      readonly id: number;
      readonly received: number;
      readonly total: number | null;
    }
  | { readonly type: 'warn'; readonly message: string; readonly details: Record<string, unknown> }
  | { readonly type: 'done'; readonly id: number; readonly result: DownloadResult; readonly pass: PassResult }
  | { readonly type: 'failed'; readonly id: number; readonly error: WireError };

export function toWireRequest(request: DownloadRequest): WireRequest {
  const { credentials, ...rest } = request;
  return {
    ...rest,
    credentials:
      credentials === null
        ? null
        : { username: credentials.username, password: credentials.password.reveal() },
  };
}

export function fromWireRequest(wire: WireRequest): DownloadRequest {
  const { credentials, ...rest } = wire;
  return {
    ...rest,
    credentials:
      credentials === null
        ? null
        : { username: credentials.username, password: new Secret(credentials.password) },
  };
}

export function toWireError(err: unknown): WireError {
  if (err instanceof JobFailure) return { name: err.name, message: err.message, code: err.code };
  if (err instanceof Error) return { name: err.name, message: err.message };
  return { name: 'Error', message: String(err) };
}

/** Catalogue failures come back as JobFailure; anything else as a plain Error, which jobs report as unexpected. */
export function fromWireError(wire: WireError): Error {
  if (wire.name === 'JobFailure' && wire.code !== undefined) return new JobFailure(wire.code, wire.message);
  const err = new Error(wire.message);
  err.name = wire.name;
  return err;
}
