import { createHash, randomFill } from 'node:crypto';
import { open, rm, type FileHandle } from 'node:fs/promises';
import { crc32, gzipSync } from 'node:zlib';
import { encodeTarHeader, paxRecord, TAR_BLOCK, tarPadding } from './tar-header.js';

const UNIT = 1 << 20;
/** Largest stored deflate block. */
const STORED_MAX = 0xffff;
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0x03]);
const END_OF_ARCHIVE = Buffer.alloc(2 * TAR_BLOCK);

function fillRandom(buf: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    randomFill(buf, (err, filled) => {
      if (err === null) resolve(filled);
      else reject(err);
    });
  });
}

export interface PackageSpec {
  /** Content of the `VERSION` member (a newline is appended); null writes no VERSION member. */
  readonly version: string | null;
  /** Bytes of pseudo-random payload. */
  readonly size: number;
  /** Name of the payload member; `image.bin` by default. */
  readonly payloadName?: string;
}

export interface WrittenPackage {
  readonly sha256: string;
  /** Size of the file written. */
  readonly bytes: number;
}

/**
 * Writes a valid package: a gzip'd tar of `VERSION` and `size` bytes of pseudo-random payload. The deflate
 * stream is made of stored blocks framed here, so the payload is never compressed or copied, and the file is
 * about `size` + 80 bytes per MiB + 3 KiB. Streams in 1 MiB units; memory does not depend on `size`.
 * Overwrites `outPath`.
 */
export async function writePackage(outPath: string, spec: PackageSpec): Promise<WrittenPackage> {
  if (!Number.isSafeInteger(spec.size) || spec.size < 0)
    throw new RangeError(`invalid package size ${spec.size}`);
  const handle = await open(outPath, 'w', 0o644);
  const out = new FileSink(handle);
  let ok = false;
  try {
    const gzip = new StoredGzip();
    const head: Buffer[] = [];
    if (spec.version !== null) head.push(...tarMember('VERSION', Buffer.from(`${spec.version}\n`)));
    head.push(encodeTarHeader({ name: spec.payloadName ?? 'image.bin', size: spec.size }));
    await out.write([GZIP_HEADER, ...gzip.frame(Buffer.concat(head))]);

    // Three buffers: one being filled on the thread pool, one being written, one being hashed and framed.
    const buffers = [Buffer.allocUnsafe(UNIT), Buffer.allocUnsafe(UNIT), Buffer.allocUnsafe(UNIT)];
    const units = Math.ceil(spec.size / UNIT);
    const unitBuffer = (i: number): Buffer => {
      const buf = buffers[i % 3] ?? Buffer.allocUnsafe(UNIT);
      return buf.subarray(0, Math.min(UNIT, spec.size - i * UNIT));
    };
    const prefetch = (i: number): Promise<Buffer> | null => {
      if (i >= units) return null;
      const p = fillRandom(unitBuffer(i));
      // Awaited in the next iteration; a failed write in between must not leave it unhandled.
      p.catch(() => undefined);
      return p;
    };
    let filling = prefetch(0);
    for (let i = 0; i < units; i++) {
      const current = await (filling ?? fillRandom(unitBuffer(i)));
      filling = prefetch(i + 1);
      await out.write(gzip.frame(current));
    }
    await out.write([
      ...gzip.frame(Buffer.concat([Buffer.alloc(tarPadding(spec.size)), END_OF_ARCHIVE])),
      ...gzip.end(),
    ]);
    await out.flush();
    ok = true;
    return { sha256: out.digest(), bytes: out.position };
  } finally {
    await out.flush().catch(() => undefined);
    await handle.close();
    if (!ok) await rm(outPath, { force: true });
  }
}

/** Header, data and padding of one tar member. */
function tarMember(name: string, data: Buffer, type = '0'): Buffer[] {
  return [encodeTarHeader({ name, size: data.length, type }), data, Buffer.alloc(tarPadding(data.length))];
}

/** A gzip member made of stored deflate blocks: the bytes pass through unchanged, only framed and CRC'd. */
class StoredGzip {
  #crc = 0;
  #length = 0;

  /** Stored blocks for `data`, as slices of it; none of them final. */
  frame(data: Buffer): Buffer[] {
    this.#crc = crc32(data, this.#crc);
    this.#length += data.length;
    const blocks = Math.ceil(data.length / STORED_MAX);
    const headers = Buffer.allocUnsafe(5 * blocks);
    const out: Buffer[] = [];
    for (let b = 0; b < blocks; b++) {
      const start = b * STORED_MAX;
      const len = Math.min(STORED_MAX, data.length - start);
      const h = headers.subarray(5 * b, 5 * b + 5);
      h[0] = 0;
      h.writeUInt16LE(len, 1);
      h.writeUInt16LE(~len & 0xffff, 3);
      out.push(h, data.subarray(start, start + len));
    }
    return out;
  }

  /** An empty final block and the gzip trailer (CRC32, length mod 2^32). */
  end(): Buffer[] {
    const tail = Buffer.alloc(13);
    tail.set([0x01, 0x00, 0x00, 0xff, 0xff], 0);
    tail.writeUInt32LE(this.#crc >>> 0, 5);
    tail.writeUInt32LE(this.#length % 2 ** 32, 9);
    return [tail];
  }
}

/**
 * Hashes and writes in order, with one write in flight: `write` returns once the previous write is done, so
 * the buffers of the call before last may be reused.
 */
class FileSink {
  readonly #handle: FileHandle;
  readonly #hash = createHash('sha256');
  #inFlight: Promise<void> = Promise.resolve();
  position = 0;

  constructor(handle: FileHandle) {
    this.#handle = handle;
  }

  async write(buffers: Buffer[]): Promise<void> {
    let total = 0;
    for (const b of buffers) {
      this.#hash.update(b);
      total += b.length;
    }
    const at = this.position;
    this.position += total;
    await this.#inFlight;
    this.#inFlight = writeAll(this.#handle, buffers, at);
    // Observed by the next write or flush; a rejection must not go unhandled in between.
    this.#inFlight.catch(() => undefined);
  }

  async flush(): Promise<void> {
    await this.#inFlight;
  }

  digest(): string {
    return this.#hash.digest('hex');
  }
}

/** pwritev until every byte is written (regular files may return short writes). */
export async function writeAll(handle: FileHandle, buffers: Buffer[], position: number): Promise<void> {
  let rest = buffers;
  let at = position;
  for (;;) {
    const total = rest.reduce((n, b) => n + b.length, 0);
    if (total === 0) return;
    const { bytesWritten } = await handle.writev(rest, at);
    if (bytesWritten === total) return;
    at += bytesWritten;
    rest = skipBytes(rest, bytesWritten);
  }
}

function skipBytes(buffers: Buffer[], n: number): Buffer[] {
  let skip = n;
  const out: Buffer[] = [];
  for (const b of buffers) {
    if (skip >= b.length) {
      skip -= b.length;
      continue;
    }
    out.push(skip > 0 ? b.subarray(skip) : b);
    skip = 0;
  }
  return out;
}

// ---- small in-memory fixtures for tests

export interface FixtureMember {
  readonly name: string;
  readonly data?: Buffer | string;
  /** Typeflag, '0' (regular file) by default. */
  readonly type?: string;
  /** How a name over 100 bytes is carried: a GNU `L` member (default) or a pax `path` record. */
  readonly longName?: 'gnu' | 'pax';
  /** Extra pax records written in an `x` header before the member. */
  readonly pax?: Readonly<Record<string, string>>;
}

export interface FixtureOptions {
  /** A leading `VERSION` member with this content plus "\n"; none when null or absent. */
  readonly version?: string | null;
  readonly members?: readonly FixtureMember[];
  /** Write the two zero blocks that end the archive (default true). */
  readonly endOfArchive?: boolean;
}

/** The tar stream of a small package. */
export function buildTar(options: FixtureOptions): Buffer {
  const parts: Buffer[] = [];
  if (options.version !== undefined && options.version !== null) {
    parts.push(...tarMember('VERSION', Buffer.from(`${options.version}\n`)));
  }
  for (const member of options.members ?? []) {
    const data =
      typeof member.data === 'string' ? Buffer.from(member.data) : (member.data ?? Buffer.alloc(0));
    const type = member.type ?? '0';
    const nameBytes = Buffer.from(member.name);
    let headerName = member.name;
    const pax: Record<string, string> = { ...member.pax };
    if (nameBytes.length > 100) {
      while (Buffer.byteLength(headerName) > 100) headerName = headerName.slice(0, -1);
      if (member.longName === 'pax') pax.path = member.name;
      else parts.push(...tarMember('././@LongLink', Buffer.concat([nameBytes, Buffer.alloc(1)]), 'L'));
    }
    const records = Object.entries(pax).map(([k, v]) => paxRecord(k, v));
    if (records.length > 0) parts.push(...tarMember('PaxHeader', Buffer.from(records.join('')), 'x'));
    parts.push(encodeTarHeader({ name: headerName, size: data.length, type }), data);
    parts.push(Buffer.alloc(tarPadding(data.length)));
  }
  if (options.endOfArchive !== false) parts.push(END_OF_ARCHIVE);
  return Buffer.concat(parts);
}

/** A small package in memory: `buildTar` gzip'd. */
export function buildPackageBuffer(options: FixtureOptions = {}): Buffer {
  return gzipSync(buildTar(options));
}
