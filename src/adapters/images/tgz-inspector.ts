import type { PackageInspection } from '../../core/ports/image-store.js';
import { GunzipReader } from './gunzip-reader.js';
import { parsePax, parseTarHeader, TAR_BLOCK, tarPadding, type PaxOverrides } from './tar-header.js';

/** Bytes kept of the VERSION member: only its first line matters and a valid version has at most 64 characters. */
const VERSION_CAP = 4096;
const LONG_NAME_CAP = 64 * 1024;
/** A pax header carries the member's `size` when it does not fit the header; losing it would desync the parse. */
const PAX_CAP = 1 << 20;

/**
 * Recognises a gzip-compressed tar package from the bytes of the file as they are written (§4.5), without
 * keeping them: the gunzip passes stored deflate blocks through as views and inflates compressed ones on
 * the thread pool, the tar parse skips member data, and memory stays the same whatever the file size.
 *
 * An archive is accepted when every gzip member ends cleanly (CRC and length checked; zero padding after the
 * last member is tolerated, as zlib does) and the tar stream either reaches its end-of-archive block or stops
 * exactly after the padded data of its last member. Anything else (not gzip, not tar, a bad header checksum,
 * a gzip or tar stream cut short) is `not_archive`.
 *
 * The first top-level `VERSION` or `./VERSION` regular file gives `versionMember`; later ones are ignored.
 */
export class TgzInspector {
  readonly #gunzip: GunzipReader;
  #failed = false;

  readonly #header = Buffer.alloc(TAR_BLOCK);
  #headerFill = 0;
  /** Member data plus padding still to skip. */
  #remaining = 0;
  /** Unpadded member data still to come, for the capture. */
  #dataLeft = 0;
  #capture: Capture | null = null;
  #longName: string | null = null;
  #pax: PaxOverrides | null = null;
  /** An `L`, `K` or `x` header was read and the member it describes has not come yet. */
  #pendingMeta = false;
  #headers = 0;
  #tarEnded = false;
  #version: string | null | undefined = undefined;

  constructor() {
    this.#gunzip = new GunzipReader((data) => {
      this.#parse(data);
    });
  }

  /**
   * Feeds the next bytes of the file. `done` runs once the inspector no longer reads `chunk`, so the caller
   * may reuse the buffer; it may run synchronously. Writes may be queued without waiting for `done`.
   */
  write(chunk: Buffer, done: () => void): void {
    this.#gunzip.write(chunk, done);
  }

  /** Ends the input and gives the verdict. Call after every `write` callback has run. */
  async finish(): Promise<PackageInspection> {
    const gzipOk = await this.#gunzip.end();
    if (!gzipOk || this.#failed || !this.#tarComplete()) return { kind: 'not_archive' };
    return { kind: 'archive', versionMember: this.#version ?? null };
  }

  /** Stops reading; pending `write` callbacks run. */
  destroy(): void {
    this.#fail();
  }

  #tarComplete(): boolean {
    if (this.#pendingMeta) return false;
    if (this.#tarEnded) return true;
    return this.#headers > 0 && this.#remaining === 0 && this.#headerFill === 0;
  }

  #fail(): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#capture = null;
    this.#gunzip.destroy();
  }

  #parse(buf: Buffer): void {
    let off = 0;
    while (off < buf.length && !this.#tarEnded && !this.#failed) {
      if (this.#remaining > 0) {
        const n = Math.min(this.#remaining, buf.length - off);
        if (this.#capture !== null && this.#dataLeft > 0) {
          this.#capture.add(buf, off, Math.min(n, this.#dataLeft));
        }
        this.#dataLeft = Math.max(0, this.#dataLeft - n);
        this.#remaining -= n;
        off += n;
        if (this.#remaining === 0) this.#memberDone();
        continue;
      }
      let block: Buffer;
      if (this.#headerFill === 0 && buf.length - off >= TAR_BLOCK) {
        block = buf.subarray(off, off + TAR_BLOCK);
        off += TAR_BLOCK;
      } else {
        const n = Math.min(TAR_BLOCK - this.#headerFill, buf.length - off);
        buf.copy(this.#header, this.#headerFill, off, off + n);
        this.#headerFill += n;
        off += n;
        if (this.#headerFill < TAR_BLOCK) return;
        this.#headerFill = 0;
        block = this.#header;
      }
      this.#onHeader(block);
    }
  }

  #onHeader(block: Buffer): void {
    const header = parseTarHeader(block);
    if (header === null) {
      this.#fail();
      return;
    }
    if (header === 'zero') {
      // GNU tar also stops at the first zero block. A dangling long-name or pax header is a broken archive.
      if (this.#pendingMeta) this.#fail();
      else this.#tarEnded = true;
      return;
    }
    this.#headers++;
    switch (header.type) {
      case 'L':
        this.#pendingMeta = true;
        this.#startMember(header.size, new Capture('longName', LONG_NAME_CAP));
        return;
      case 'x':
        this.#pendingMeta = true;
        this.#startMember(header.size, new Capture('pax', PAX_CAP));
        return;
      case 'K':
        this.#pendingMeta = true;
        this.#startMember(header.size, null);
        return;
      case 'g':
        this.#startMember(header.size, null);
        return;
    }
    const name = this.#pax?.path ?? this.#longName ?? header.name;
    const size = this.#pax?.size ?? header.size;
    this.#pax = null;
    this.#longName = null;
    this.#pendingMeta = false;
    const isFile = header.type === '0' || header.type === '7';
    const capture =
      isFile && this.#version === undefined && (name === 'VERSION' || name === './VERSION')
        ? new Capture('version', VERSION_CAP)
        : null;
    // As GNU tar does, the data of every member type is skipped by its size, except a directory's.
    this.#startMember(header.type === '5' ? 0 : size, capture);
  }

  #startMember(size: number, capture: Capture | null): void {
    this.#capture = capture;
    this.#dataLeft = size;
    this.#remaining = size + tarPadding(size);
    if (this.#remaining === 0) this.#memberDone();
  }

  #memberDone(): void {
    const capture = this.#capture;
    this.#capture = null;
    if (capture === null) return;
    const data = capture.bytes();
    switch (capture.kind) {
      case 'longName': {
        // A name longer than the cap cannot be VERSION; the empty string matches no member name.
        const nul = data.indexOf(0);
        this.#longName = capture.overflow ? '' : data.toString('utf8', 0, nul < 0 ? data.length : nul);
        return;
      }
      case 'pax': {
        const pax = capture.overflow ? null : parsePax(data);
        if (pax === null) this.#fail();
        else this.#pax = { ...this.#pax, ...pax };
        return;
      }
      case 'version': {
        const firstLine = (data.toString('utf8').split(/[\r\n]/, 1)[0] ?? '').trim();
        this.#version = firstLine === '' ? null : firstLine;
        return;
      }
    }
  }
}

/** Copies of at most `cap` bytes of one member's data. */
class Capture {
  readonly #chunks: Buffer[] = [];
  #length = 0;
  overflow = false;

  constructor(
    readonly kind: 'longName' | 'pax' | 'version',
    private readonly cap: number,
  ) {}

  add(buf: Buffer, off: number, n: number): void {
    const take = Math.min(n, this.cap - this.#length);
    if (take < n) this.overflow = true;
    if (take <= 0) return;
    this.#chunks.push(Buffer.from(buf.subarray(off, off + take)));
    this.#length += take;
  }

  bytes(): Buffer {
    return Buffer.concat(this.#chunks, this.#length);
  }
}
