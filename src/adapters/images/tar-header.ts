/** Tar header encoding and decoding: ustar, GNU (`L` long names, base-256 sizes) and pax records. */

export const TAR_BLOCK = 512;

/** Bytes of padding that follow `size` bytes of member data. */
export function tarPadding(size: number): number {
  const rest = size % TAR_BLOCK;
  return rest === 0 ? 0 : TAR_BLOCK - rest;
}

export interface TarHeader {
  /** Path from the header itself (ustar prefix joined); GNU `L` and pax `path` overrides are applied by the reader. */
  readonly name: string;
  readonly size: number;
  /** The typeflag as a character; a NUL typeflag (old regular files) is reported as '0'. */
  readonly type: string;
}

/** `zero` for an all-zero block (end of archive), null when the block is not a valid tar header. */
export function parseTarHeader(block: Uint8Array): TarHeader | 'zero' | null {
  if (isZeroBlock(block)) return 'zero';
  const stored = parseOctal(block, 148, 8);
  if (stored === null || !checksumMatches(block, stored)) return null;
  const size = parseNumeric(block, 124, 12);
  if (size === null) return null;
  const flag = block[156] ?? 0;
  const type = flag === 0 ? '0' : String.fromCharCode(flag);
  let name = cString(block, 0, 100);
  // Only POSIX ustar has a prefix field; GNU's "ustar  " magic keeps other data at that offset.
  if (matches(block, 257, USTAR_MAGIC)) {
    const prefix = cString(block, 345, 155);
    if (prefix !== '') name = `${prefix}/${name}`;
  }
  return { name, size, type };
}

const USTAR_MAGIC = [0x75, 0x73, 0x74, 0x61, 0x72, 0x00]; // "ustar\0"

function matches(block: Uint8Array, at: number, bytes: readonly number[]): boolean {
  return bytes.every((b, i) => block[at + i] === b);
}

function isZeroBlock(block: Uint8Array): boolean {
  for (let i = 0; i < TAR_BLOCK; i++) if (block[i] !== 0) return false;
  return true;
}

/** Historic writers summed signed chars; both sums are accepted, as GNU tar does. */
function checksumMatches(block: Uint8Array, stored: number): boolean {
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < TAR_BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : (block[i] ?? 0);
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  return stored === unsigned || stored === signed;
}

function cString(block: Uint8Array, at: number, length: number): string {
  let end = at;
  while (end < at + length && block[end] !== 0) end++;
  return Buffer.from(block.buffer, block.byteOffset + at, end - at).toString('utf8');
}

/** Octal digits, optionally surrounded by spaces and NULs; null when malformed. */
function parseOctal(block: Uint8Array, at: number, length: number): number | null {
  let i = at;
  const end = at + length;
  while (i < end && (block[i] === 0x20 || block[i] === 0)) i++;
  let value = 0;
  let digits = 0;
  for (; i < end; i++) {
    const c = block[i] ?? 0;
    if (c === 0x20 || c === 0) break;
    if (c < 0x30 || c > 0x37) return null;
    value = value * 8 + (c - 0x30);
    digits++;
  }
  for (; i < end; i++) if (block[i] !== 0x20 && block[i] !== 0) return null;
  return digits === 0 ? 0 : value;
}

/** Octal, or GNU base-256 (high bit set) for values that do not fit; negative values are refused. */
function parseNumeric(block: Uint8Array, at: number, length: number): number | null {
  const first = block[at] ?? 0;
  if ((first & 0x80) === 0) return parseOctal(block, at, length);
  if (first === 0xff) return null;
  let value = first & 0x7f;
  for (let i = at + 1; i < at + length; i++) {
    value = value * 256 + (block[i] ?? 0);
    if (value > Number.MAX_SAFE_INTEGER) return null;
  }
  return value;
}

/** The `path` and `size` records of a pax extended header; other keys are ignored. */
export interface PaxOverrides {
  path?: string;
  size?: number;
}

/** Parses `"<len> <key>=<value>\n"` records; null when the header is malformed. */
export function parsePax(data: Buffer): PaxOverrides | null {
  const out: PaxOverrides = {};
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    if (space < 0) return null;
    const len = Number(data.toString('latin1', at, space));
    if (!Number.isSafeInteger(len) || len <= space - at + 1 || at + len > data.length) return null;
    if (data[at + len - 1] !== 0x0a) return null;
    const record = data.subarray(space + 1, at + len - 1);
    const eq = record.indexOf(0x3d);
    if (eq < 0) return null;
    const key = record.toString('utf8', 0, eq);
    const value = record.toString('utf8', eq + 1);
    if (key === 'path') out.path = value;
    else if (key === 'size') {
      if (!/^\d+$/.test(value)) return null;
      const size = Number(value);
      if (!Number.isSafeInteger(size)) return null;
      out.size = size;
    }
    at += len;
  }
  return out;
}

export interface TarHeaderFields {
  readonly name: string;
  readonly size: number;
  /** Typeflag character, '0' by default. */
  readonly type?: string;
  readonly mode?: number;
  readonly mtime?: number;
}

/**
 * One ustar header block. `name` must fit the 100-byte field (callers emit a GNU `L` or pax `x` member
 * first for longer names); sizes of 8 GiB and above use GNU base-256.
 */
export function encodeTarHeader(fields: TarHeaderFields): Buffer {
  const block = Buffer.alloc(TAR_BLOCK);
  const name = Buffer.from(fields.name, 'utf8');
  if (name.length > 100) throw new RangeError(`tar name longer than 100 bytes: ${fields.name}`);
  name.copy(block, 0);
  writeOctal(block, 100, 8, fields.mode ?? 0o644);
  writeOctal(block, 108, 8, 0);
  writeOctal(block, 116, 8, 0);
  if (fields.size < 0o77777777777) writeOctal(block, 124, 12, fields.size);
  else writeBase256(block, 124, 12, fields.size);
  writeOctal(block, 136, 12, fields.mtime ?? 0);
  block.write(fields.type ?? '0', 156, 1, 'latin1');
  block.write('ustar\u000000', 257, 8, 'latin1');
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of block) sum += b;
  block.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 8, 'latin1');
  return block;
}

function writeOctal(block: Buffer, at: number, length: number, value: number): void {
  block.write(`${value.toString(8).padStart(length - 1, '0')}\u0000`, at, length, 'latin1');
}

function writeBase256(block: Buffer, at: number, length: number, value: number): void {
  let v = value;
  for (let i = at + length - 1; i > at; i--) {
    block[i] = v % 256;
    v = Math.floor(v / 256);
  }
  block[at] = 0x80;
}

/** One pax record, with its self-inclusive decimal length prefix. */
export function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bodyLen = Buffer.byteLength(body);
  const digits = String(bodyLen).length;
  let len = bodyLen + digits;
  if (String(len).length > digits) len++;
  return `${String(len)}${body}`;
}
