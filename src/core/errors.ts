/**
 * The one catalogue of errors clusterimage returns. Every error a client can see is made by a factory
 * here, with ONTAP's numeric code (as a string), our message and, when one input caused it, a target.
 * The core names a `kind`; only `http/error-handler.ts` turns a kind into an HTTP status.
 */

export type ErrorKind =
  | 'invalid_argument'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'unknown_api'
  | 'method_not_allowed'
  | 'conflict'
  | 'rate_limited'
  | 'headers_too_large'
  | 'request_timeout'
  | 'internal';

export class OntapError extends Error {
  readonly code: string;
  readonly target: string | undefined;
  readonly kind: ErrorKind;

  constructor(
    kind: ErrorKind,
    code: string,
    message: string,
    target?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'OntapError';
    this.kind = kind;
    this.code = code;
    this.target = target;
  }
}

/** Codes whose failed jobs are internal faults (D1: answered 500); every other job failure is a 400. */
const INTERNAL_JOB_CODES = new Set(['10551391', '10551323', '262145']);

/** Turns anything thrown into an Error, keeping the original as `cause`. */
export function toError(value: unknown): Error {
  if (value instanceof Error) return value;
  return new Error(typeof value === 'string' ? value : 'non-error value thrown', { cause: value });
}

const e = (kind: ErrorKind, code: string, message: string, target?: string): OntapError =>
  new OntapError(kind, code, message, target);

export const errors = {
  // ---- authentication and routing (§2.1, §2.12)
  notAuthenticated: () => e('unauthorized', '6', 'User is not authorized.'),
  forbidden: () => e('forbidden', '6', 'not authorized for that command'),
  tooManyFailedLogins: (retryAfterSeconds: number) =>
    e('rate_limited', '262160', `Too many failed login attempts. Try again in ${retryAfterSeconds} seconds.`),
  apiNotFound: () => e('unknown_api', '3', 'API not found'),
  methodNotAllowed: (method: string, path: string) =>
    e('method_not_allowed', '3', `The method "${method}" is not supported on "${path}".`),
  entryNotFound: (target: string) => e('not_found', '4', "entry doesn't exist", target),
  unexpected: () => e('internal', '262145', 'Unexpected application exception.'),

  // ---- requests and query parameters (§2.2, §2.5–2.8)
  unexpectedArgument: (name: string) => e('invalid_argument', '262179', `Unexpected argument "${name}".`),
  invalidValue: (name: string, value: string, expectation: string) =>
    e('invalid_argument', '262185', `Invalid value "${value}" for "${name}". Expected ${expectation}.`, name),
  invalidType: (name: string, expectation: string) =>
    e('invalid_argument', '262185', `Invalid value for "${name}". Expected ${expectation}.`, name),
  duplicateField: (name: string) =>
    e('invalid_argument', '262188', `Field "${name}" was specified more than once.`, name),
  noValuesSupplied: () => e('invalid_argument', '262190', 'No values were supplied to apply.'),
  invalidFieldsName: (name: string) =>
    e('invalid_argument', '262197', `The value "${name}" is invalid for field "fields"`, 'fields'),
  bodyNotAllowed: (method: string) =>
    e('invalid_argument', '262198', `A request body is not allowed for ${method} requests.`),
  invalidJson: () => e('invalid_argument', '262199', 'The request body is not a valid JSON object.'),
  bodyTooLarge: (limit: number) =>
    e('invalid_argument', '262199', `The request body is larger than the limit of ${limit} bytes.`),
  secretInUrl: () => e('invalid_argument', '262202', 'Field "password" must not be specified in the URL.'),
  missingRequired: (name: string) =>
    e('invalid_argument', '262212', `Missing required value for "${name}".`, name),
  orderByUnsupported: (field: string) =>
    e('invalid_argument', '262268', `Field "${field}" is not supported for order_by.`, 'order_by'),
  mismatchedBraces: () => e('invalid_argument', '262286', 'Mismatched braces in "fields".', 'fields'),

  // ---- HTTP framing: refused by the HTTP parser, before authentication and routing
  malformedRequest: () => e('invalid_argument', '2', 'The request is not a valid HTTP/1.1 request.'),
  headersTooLarge: () => e('headers_too_large', '2', 'The request headers are larger than the limit.'),
  requestTimeout: () => e('request_timeout', '2', 'The request was not received in time.'),

  // ---- download request (§4.2, §4.3)
  invalidUrl: () => e('invalid_argument', '39387137', 'Invalid URL syntax.', 'url'),
  unsupportedScheme: (scheme: string) =>
    e(
      'invalid_argument',
      '39387138',
      `Unsupported URL scheme "${scheme}". Supported schemes are HTTP://, HTTPS://, FTP:// and FTPS://.`,
      'url',
    ),
  noPackageFileName: () => e('invalid_argument', '10551885', 'The URL does not name a package file.', 'url'),
  fileNameTooLong: (target: string) =>
    e('invalid_argument', '10551799', 'The file name is too long.', target),
  updateBlocksDownload: () =>
    e(
      'conflict',
      '10551357',
      'A software update is in progress. Wait for it to complete before downloading a package.',
    ),
  transferInProgress: () =>
    e(
      'conflict',
      '10551382',
      'Software get operation already in progress. Only one package transfer can run at a time.',
    ),
  sameFileName: (fileName: string) =>
    e('conflict', '10551327', `Package image with the same name already exists: "${fileName}".`),

  // ---- upload request (§7)
  notMultipart: () => e('invalid_argument', '10551808', 'The request must be multipart/form-data.'),
  moreThanOneFile: () =>
    e('invalid_argument', '10551807', 'More than one file was provided; send exactly one part named "file".'),

  // ---- packages (§6.3)
  repositoryEmpty: (kind: ErrorKind) => e(kind, '10551315', 'The repository does not contain any packages.'),
  packageNotFound: (version: string) =>
    e('not_found', '10551325', `Package "${version}" does not exist on the system.`, 'version'),
  deleteDuringUpdate: () =>
    e('conflict', '10551347', 'Package delete failed since an update is in progress.'),
  deleteRunningVersion: (version: string) =>
    e('conflict', '8', `Package "${version}" is the version the cluster runs and cannot be deleted.`, 'version'),

  // ---- jobs (§5.4)
  jobTerminal: () => e('invalid_argument', '458762', 'The job is already in a terminal state.'),
  jobNoPause: () => e('invalid_argument', '458783', 'This job does not support pause or resume.'),
  jobNoCancel: () => e('invalid_argument', '458784', 'This job does not support cancel.'),

  // ---- software update (§3.3)
  updateInProgress: () => e('conflict', '10551357', 'A software update is in progress.'),
} as const;

/**
 * Failures that end a transfer job. They carry a code and a message only: they are stored on the job and
 * turned into an HTTP answer (D1) by `jobFailureError` when a client waited for the job.
 */
export class JobFailure extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'JobFailure';
    this.code = code;
  }
}

const f = (code: string, message: string): JobFailure => new JobFailure(code, message);

export const failures = {
  httpStatus: (status: number, reason: string, safeUrl: string) =>
    f(
      '10551381',
      `Package download failed: the server returned HTTP ${status} ${reason}${
        status === 401 ? ': check the username and password' : ''
      } for ${safeUrl}.`,
    ),
  ftpReply: (replyCode: number, text: string, safeUrl: string, hint?: string) =>
    f(
      '10551381',
      `Package download failed: the FTP server replied ${replyCode} ${text}${hint ? `: ${hint}` : ''} for ${safeUrl}.`,
    ),
  connectionRefused: (host: string, port: number) =>
    f('10551381', `Package download failed: connection refused by ${host}:${port}.`),
  hostUnresolvable: (host: string) =>
    f('10551381', `Package download failed: cannot resolve host "${host}".`),
  tlsVerification: (host: string, reason: string) =>
    f('10551381', `Package download failed: TLS certificate verification failed for ${host}: ${reason}.`),
  timedOut: (seconds: number, host: string, port: number) =>
    f('10551381', `Package download failed: timed out after ${seconds} seconds waiting for ${host}:${port}.`),
  lengthMismatch: (received: number, expected: number) =>
    f('10551381', `Package download failed: received ${received} bytes, expected ${expected}.`),
  tooManyRedirects: (limit: number) =>
    f('10551381', `Package download failed: more than ${limit} redirects.`),
  badRedirect: (safeUrl: string) =>
    f(
      '10551381',
      `Package download failed: the server sent a redirect without a usable location from ${safeUrl}.`,
    ),
  hostDenied: (host: string, address: string) =>
    f(
      '10551381',
      `Package download failed: the destination ${host} (${address}) is denied by the download host policy.`,
    ),
  tooLarge: (limitBytes: number) =>
    f('10551381', `Package download failed: the package is larger than the limit of ${limitBytes} bytes.`),
  connectionFailed: (host: string, port: number, reason: string) =>
    f('10551381', `Package download failed: the connection to ${host}:${port} failed (${reason}).`),
  downloadCancelled: () => f('10551381', 'Package download cancelled by user request.'),
  downloadTimeLimit: (limitSeconds: number) =>
    f('10551383', `The package download exceeded the time limit of ${limitSeconds} seconds.`),
  notAPackage: (fileName: string) =>
    f(
      '10551359',
      `The file "${fileName}" is not a valid software package: it is not a readable gzip-compressed tar archive.`,
    ),
  badVersionMember: (fileName: string) =>
    f('10551359', `The VERSION member of "${fileName}" does not contain a valid version.`),
  noVersion: (fileName: string) =>
    f(
      '10551359',
      `Cannot determine the version of "${fileName}": no VERSION member and the file name does not follow the <digits>[P|D|RC<n>]_q_image.tgz convention.`,
    ),
  versionExists: (version: string) =>
    f('10551327', `Package version "${version}" already exists in the repository.`),
  noSpace: (verb: 'download' | 'upload') =>
    f('10551391', `Package ${verb} failed: no space left on the device that holds the package repository.`),
  storeFailed: (verb: 'download' | 'upload') =>
    f('10551391', `Package ${verb} failed: internal error while storing the package.`),
  uploadCancelled: () => f('10551359', 'Package upload cancelled by user request.'),
  uploadTimeLimit: (limitSeconds: number) =>
    f('10551373', `The package upload exceeded the time limit of ${limitSeconds} seconds.`),
  uploadAborted: (received: number) =>
    f('10551359', `Package upload failed: the client disconnected after ${received} bytes.`),
  uploadTooLarge: (limitBytes: number) =>
    f('10551359', `Package upload failed: the package is larger than the limit of ${limitBytes} bytes.`),
  deleteFailed: () => f('10551323', 'Package delete failed: internal error while removing the package.'),
  interrupted: (code: string) => f(code, 'interrupted by a server restart'),
  /** A request-level refusal (D24) found after the upload's job had started. */
  rejectedRequest: (err: OntapError) => f(err.code, err.message),
  unexpected: () => f('262145', 'Unexpected application exception.'),
} as const;

/** The HTTP-facing error for a job that ended in failure while the client waited (D1). */
export function jobFailureError(code: string, message: string): OntapError {
  return new OntapError(INTERNAL_JOB_CODES.has(code) ? 'internal' : 'invalid_argument', code, message);
}
