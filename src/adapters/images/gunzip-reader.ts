import { crc32, createInflateRaw, type InflateRaw } from 'node:zlib';

/** zlib's default 16 KiB output chunks cost a thread-pool round trip each. */
const INFLATE_CHUNK = 1024 * 1024;
/** Deflate's back-reference window: what a compressed block may refer to. */
const WINDOW = 32 * 1024;

const FHCRC = 0x02;
const FEXTRA = 0x04;
const FNAME = 0x08;
const FCOMMENT = 0x10;
const FRESERVED = 0xe0;

type State =
  | 'member' // before a gzip member: its first byte decides between a member and trailing zero padding
  | 'header' // the fixed 10 header bytes
  | 'extraLength'
  | 'extra'
  | 'name'
  | 'comment'
  | 'headerCrc'
  | 'block' // a deflate block header, always byte-aligned here
  | 'stored' // the data of a stored block
  | 'zlib' // the rest of the deflate stream, inflated by zlib
  | 'trailer'
  | 'padding' // zero bytes after the last member: the rest of the input is ignored
  | 'failed';

interface Item {
  readonly chunk: Buffer;
  readonly done: () => void;
}

/**
 * Gunzip that hands the payload of stored deflate blocks to `onData` as views of the input, without a copy
 * or a trip to the thread pool. Package images are mostly already-compressed data, which deflate keeps in
 * stored blocks, so for them this costs one CRC-32 pass. At the first compressed block the rest of the
 * deflate stream goes to zlib, primed with the last 32 KiB of output as its dictionary, which is exactly
 * what the block may refer back to; that works because a stored block ends byte-aligned, so the next block
 * starts on a byte boundary. The gzip framing (header, CRC-32, length) is checked here in both cases.
 *
 * Accepted input is what Node's gunzip accepts: one or more members, then optionally bytes starting with
 * a zero byte (padding), which are ignored. `onData` views are valid only during the call. Input chunks
 * are processed in order; a chunk's `done` runs once it is no longer read, synchronously on the fast path.
 */
export class GunzipReader {
  readonly #onData: (data: Buffer) => void;
  readonly #queue: Item[] = [];
  #busy = false;
  #state: State = 'member';
  #members = 0;
  /** Bytes of the current field still wanted (header, lengths, extra field, stored data, trailer). */
  #need = 10;
  readonly #scratch = Buffer.alloc(10);
  #scratchFill = 0;
  #flags = 0;
  #headerCrc = 0;
  #crc = 0;
  #size = 0;
  #final = false;
  /** The last output of the member, up to WINDOW bytes: `#window.subarray(0, #windowFill)`. */
  readonly #window = Buffer.alloc(WINDOW);
  #windowFill = 0;
  /** Views of the stored data read from the current chunk, not yet folded into the window. */
  readonly #recent: Buffer[] = [];
  /** The chunk zlib is reading. */
  #current: Item | null = null;
  /** zlib is reading `#current` on the thread pool; its write callback, which always runs, releases it. */
  #zlibReading = false;
  #inflater: InflateRaw | null = null;
  #inflaterEnded: Promise<void> | null = null;
  #inflaterFed = 0;

  constructor(onData: (data: Buffer) => void) {
    this.#onData = onData;
  }

  write(chunk: Buffer, done: () => void): void {
    if (this.#state === 'failed' || this.#state === 'padding') {
      done();
      return;
    }
    let called = false;
    const once = (): void => {
      if (called) return;
      called = true;
      done();
    };
    this.#queue.push({ chunk, done: once });
    this.#drain();
  }

  /**
   * Ends the input: resolves true when it was a complete gzip stream. Call after every `write` callback has
   * run. In the zlib state the deflate stream did not end before the input did, so the trailer is missing.
   */
  end(): Promise<boolean> {
    const complete = this.#state === 'padding' || (this.#state === 'member' && this.#members > 0);
    if (!complete) this.#fail();
    return Promise.resolve(complete);
  }

  destroy(): void {
    this.#fail();
  }

  #drain(): void {
    while (!this.#busy) {
      const item = this.#queue.shift();
      if (item === undefined) return;
      this.#consume(item, 0);
    }
  }

  /** Reads `item.chunk` from `at`; returns with `#busy` set when zlib took over the rest of the chunk. */
  #consume(item: Item, at: number): void {
    const { chunk } = item;
    let off = at;
    while (off < chunk.length) {
      switch (this.#state) {
        case 'failed':
        case 'padding':
          item.done();
          return;
        case 'stored': {
          const n = Math.min(this.#need, chunk.length - off);
          this.#emit(chunk.subarray(off, off + n));
          off += n;
          this.#need -= n;
          if (this.#need === 0) this.#endBlock();
          continue;
        }
        case 'zlib':
          this.#toZlib(item, off);
          return;
        case 'member': {
          const first = chunk[off];
          if (this.#members > 0 && first === 0) {
            this.#state = 'padding';
            continue;
          }
          this.#state = 'header';
          this.#need = 10;
          this.#scratchFill = 0;
          this.#headerCrc = 0;
          continue;
        }
        case 'name':
        case 'comment': {
          const nul = chunk.indexOf(0, off);
          const end = nul < 0 ? chunk.length : nul + 1;
          this.#headerCrc = crc32(chunk.subarray(off, end), this.#headerCrc);
          off = end;
          if (nul >= 0) this.#afterHeaderField();
          continue;
        }
        case 'extra': {
          const n = Math.min(this.#need, chunk.length - off);
          this.#headerCrc = crc32(chunk.subarray(off, off + n), this.#headerCrc);
          off += n;
          this.#need -= n;
          if (this.#need === 0) this.#afterHeaderField();
          continue;
        }
        default: {
          // Fixed-size fields, gathered in the scratch buffer.
          const n = Math.min(this.#need - this.#scratchFill, chunk.length - off);
          chunk.copy(this.#scratch, this.#scratchFill, off, off + n);
          this.#scratchFill += n;
          off += n;
          if (this.#scratchFill < this.#need) continue;
          this.#scratchFill = 0;
          if (this.#state === 'block' && this.#isCompressedBlock()) {
            // The block header byte belongs to zlib's stream: hand it back.
            off -= this.#need;
            this.#startZlib();
            continue;
          }
          this.#field(this.#scratch.subarray(0, this.#need));
        }
      }
    }
    this.#foldWindow();
    item.done();
  }

  /** Whether the block header in the scratch buffer opens a compressed (fixed or dynamic Huffman) block. */
  #isCompressedBlock(): boolean {
    const type = ((this.#scratch[0] ?? 0) >> 1) & 3;
    return type === 1 || type === 2;
  }

  #field(bytes: Buffer): void {
    switch (this.#state) {
      case 'header': {
        if (bytes[0] !== 0x1f || bytes[1] !== 0x8b || bytes[2] !== 8) {
          this.#fail();
          return;
        }
        this.#flags = bytes[3] ?? 0;
        if ((this.#flags & FRESERVED) !== 0) {
          this.#fail();
          return;
        }
        this.#headerCrc = crc32(bytes);
        this.#crc = 0;
        this.#size = 0;
        this.#windowFill = 0;
        this.#recent.length = 0;
        if ((this.#flags & FEXTRA) !== 0) {
          this.#state = 'extraLength';
          this.#need = 2;
          return;
        }
        this.#afterExtra();
        return;
      }
      case 'extraLength':
        this.#headerCrc = crc32(bytes, this.#headerCrc);
        this.#need = bytes.readUInt16LE(0);
        this.#state = 'extra';
        if (this.#need === 0) this.#afterHeaderField();
        return;
      case 'headerCrc':
        if (bytes.readUInt16LE(0) !== (this.#headerCrc & 0xffff)) {
          this.#fail();
          return;
        }
        this.#startBlocks();
        return;
      case 'block': {
        const head = bytes[0] ?? 0;
        if (bytes.length === 1) {
          if (((head >> 1) & 3) !== 0) {
            this.#fail();
            return;
          }
          // A stored block: its LEN and NLEN follow, after padding to the byte boundary.
          this.#final = (head & 1) === 1;
          this.#need = 5;
          this.#scratchFill = 1;
          return;
        }
        const len = bytes.readUInt16LE(1);
        if ((len ^ 0xffff) !== bytes.readUInt16LE(3)) {
          this.#fail();
          return;
        }
        this.#need = len;
        this.#state = 'stored';
        if (len === 0) this.#endBlock();
        return;
      }
      case 'trailer':
        if (bytes.readUInt32LE(0) !== this.#crc >>> 0 || bytes.readUInt32LE(4) !== this.#size >>> 0) {
          this.#fail();
          return;
        }
        this.#members++;
        this.#state = 'member';
        return;
      default: {
        this.#fail();
        return;
      }
    }
  }

  /** Moves past FEXTRA to the optional name, comment and header CRC. */
  #afterHeaderField(): void {
    if (this.#state === 'extra') this.#afterExtra();
    else if (this.#state === 'name') this.#afterName();
    else this.#afterComment();
  }

  #afterExtra(): void {
    if ((this.#flags & FNAME) !== 0) this.#state = 'name';
    else this.#afterName();
  }

  #afterName(): void {
    if ((this.#flags & FCOMMENT) !== 0) this.#state = 'comment';
    else this.#afterComment();
  }

  #afterComment(): void {
    if ((this.#flags & FHCRC) !== 0) {
      this.#state = 'headerCrc';
      this.#need = 2;
      return;
    }
    this.#startBlocks();
  }

  #startBlocks(): void {
    this.#state = 'block';
    this.#need = 1;
  }

  #endBlock(): void {
    if (this.#final) {
      this.#state = 'trailer';
      this.#need = 8;
    } else this.#startBlocks();
  }

  #emit(data: Buffer): void {
    this.#crc = crc32(data, this.#crc);
    this.#size += data.length;
    if (this.#state === 'stored') this.#recent.push(data);
    this.#onData(data);
  }

  /** Folds the stored data of the chunk just read (`#recent`) into the window. */
  #foldWindow(): void {
    const recent = this.#recent;
    if (recent.length === 0) return;
    let total = 0;
    for (const part of recent) total += part.length;
    const keep = Math.min(this.#windowFill, Math.max(0, WINDOW - total));
    if (keep < this.#windowFill) this.#window.copyWithin(0, this.#windowFill - keep, this.#windowFill);
    let fill = keep;
    let skip = Math.max(0, total - WINDOW);
    for (const part of recent) {
      if (skip >= part.length) {
        skip -= part.length;
        continue;
      }
      fill += part.copy(this.#window, fill, skip);
      skip = 0;
    }
    this.#windowFill = fill;
    recent.length = 0;
  }

  #startZlib(): void {
    this.#foldWindow();
    const dictionary =
      this.#windowFill > 0 ? { dictionary: Buffer.from(this.#window.subarray(0, this.#windowFill)) } : {};
    const inflater = createInflateRaw({ chunkSize: INFLATE_CHUNK, ...dictionary });
    this.#inflater = inflater;
    this.#inflaterFed = 0;
    this.#inflaterEnded = new Promise<void>((resolve) => {
      inflater.once('end', resolve);
    });
    inflater.on('data', (data: Buffer) => {
      if (this.#state === 'zlib') this.#emit(data);
    });
    inflater.on('error', () => {
      // zlib has stopped reading, and the failed write's callback does not run: the chunk is released here.
      this.#zlibReading = false;
      this.#fail();
    });
    this.#state = 'zlib';
  }

  #toZlib(item: Item, at: number): void {
    const inflater = this.#inflater;
    const ended = this.#inflaterEnded;
    if (inflater === null || ended === null) {
      this.#fail();
      item.done();
      return;
    }
    const part = at === 0 ? item.chunk : item.chunk.subarray(at);
    const before = this.#inflaterFed;
    this.#inflaterFed += part.length;
    this.#busy = true;
    this.#current = item;
    this.#zlibReading = true;
    inflater.write(part, () => {
      this.#zlibReading = false;
      if (this.#state !== 'zlib') {
        this.#release(item);
        return;
      }
      const used = inflater.bytesWritten - before;
      if (used >= part.length) {
        this.#release(item);
        return;
      }
      // The deflate stream ended inside this chunk. Once zlib's last output is out, the trailer follows.
      void ended.then(() => {
        if (this.#state !== 'zlib') {
          this.#release(item);
          return;
        }
        inflater.destroy();
        this.#inflater = null;
        this.#inflaterEnded = null;
        this.#state = 'trailer';
        this.#need = 8;
        this.#scratchFill = 0;
        this.#busy = false;
        this.#current = null;
        this.#consume(item, at + used);
        this.#drain();
      });
    });
  }

  /** Ends the read of a chunk zlib had; the next queued chunk goes on. */
  #release(item: Item): void {
    this.#current = null;
    this.#busy = false;
    item.done();
    if (this.#state !== 'failed') this.#drain();
  }

  #fail(): void {
    if (this.#state === 'failed') return;
    this.#state = 'failed';
    this.#inflater?.destroy();
    this.#inflater = null;
    const current = this.#current;
    this.#current = null;
    // While zlib still reads the chunk, its owner may not reuse it yet; the write callback releases it.
    if (!this.#zlibReading) current?.done();
    for (const item of this.#queue.splice(0)) item.done();
  }
}
