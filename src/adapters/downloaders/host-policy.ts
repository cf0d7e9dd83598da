import { isIP } from 'node:net';

/** Allow and deny lists of host names (`files.example.com`, `*.example.com`) and CIDRs or single addresses. */
export interface HostPolicyConfig {
  readonly allow: readonly string[];
  readonly deny: readonly string[];
}

/**
 * Always denied unless an allow entry of the same kind matches: link-local ranges (which hold the cloud
 * metadata endpoints of AWS, Azure, GCP, OpenStack…), AWS's IPv6 metadata address, Alibaba's metadata address
 * and GCP's metadata host name.
 */
export const DEFAULT_DENY: readonly string[] = [
  '169.254.0.0/16',
  'fe80::/10',
  '169.254.169.254',
  'fd00:ec2::254',
  '100.100.100.200',
  'metadata.google.internal',
];

interface Cidr {
  readonly v6: boolean;
  readonly base: bigint;
  readonly bits: number;
}

interface NamePattern {
  /** Lower case, no trailing dot. For a wildcard, the suffix including its leading dot (`.example.com`). */
  readonly value: string;
  readonly wildcard: boolean;
}

interface EntrySet {
  readonly cidrs: readonly Cidr[];
  readonly names: readonly NamePattern[];
}

/**
 * Decides whether a download may connect to a host at a resolved address (D17). It is asked once per
 * candidate address of every hop, the original URL and each redirect, and the connection is then pinned to
 * the address that was checked.
 *
 * Precedence, first rule that applies wins:
 * 1. A `deny` entry matching the host name or the address: denied.
 * 2. A built-in default-deny entry ({@link DEFAULT_DENY}) matching the address, unless an `allow` CIDR/address
 *    entry matches that address; or matching the host name, unless an `allow` name entry matches the name.
 *    An allowed *name* never unlocks a denied *address*, so a permitted name that resolves to the metadata
 *    address is still refused (DNS rebinding).
 * 3. `allow` is non-empty and neither the host name nor the address matches an entry in it: denied.
 * 4. Otherwise allowed. Loopback and private ranges are allowed by default: a package server on the same host
 *    or LAN is normal.
 *
 * IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) are compared as the IPv4 address they carry, both in entries
 * and in checked addresses. Host names compare case-insensitively, without a trailing dot; `*.example.com`
 * matches any name below `example.com` but not `example.com` itself.
 */
export class HostPolicy {
  readonly #allow: EntrySet;
  readonly #deny: EntrySet;
  readonly #defaults: EntrySet;
  readonly #allowListMode: boolean;

  /** @throws TypeError naming the first entry that is neither a host name, an address nor a CIDR. */
  constructor(config: HostPolicyConfig = { allow: [], deny: [] }) {
    this.#allow = parseEntries(config.allow);
    this.#deny = parseEntries(config.deny);
    this.#defaults = parseEntries(DEFAULT_DENY);
    this.#allowListMode = config.allow.length > 0;
  }

  /** `host` is the name from the URL (or an IP literal); `address` is the IP it resolved to. */
  permits(host: string, address: string): boolean {
    const name = normaliseName(host);
    const ip = parseAddress(address);
    if (ip === null) return false;
    if (matchesName(this.#deny, name) || matchesAddress(this.#deny, ip)) return false;
    const allowedAddress = matchesAddress(this.#allow, ip);
    const allowedName = matchesName(this.#allow, name);
    if (matchesAddress(this.#defaults, ip) && !allowedAddress) return false;
    if (matchesName(this.#defaults, name) && !allowedName) return false;
    if (this.#allowListMode && !allowedAddress && !allowedName) return false;
    return true;
  }
}

function normaliseName(host: string): string {
  const lower = host.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

function matchesName(set: EntrySet, name: string): boolean {
  for (const p of set.names) {
    if (p.wildcard ? name.endsWith(p.value) && name.length > p.value.length : name === p.value) return true;
  }
  return false;
}

function matchesAddress(set: EntrySet, ip: Cidr): boolean {
  for (const c of set.cidrs) {
    if (c.v6 !== ip.v6) continue;
    const shift = BigInt((c.v6 ? 128 : 32) - c.bits);
    if (ip.base >> shift === c.base >> shift) return true;
  }
  return false;
}

const NAME_RE = /^(\*\.)?([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

function parseEntries(entries: readonly string[]): EntrySet {
  const cidrs: Cidr[] = [];
  const names: NamePattern[] = [];
  for (const raw of entries) {
    const entry = raw.trim();
    const cidr = parseCidr(entry);
    if (cidr !== null) {
      cidrs.push(cidr);
      continue;
    }
    const name = normaliseName(entry);
    if (!NAME_RE.test(name)) throw new TypeError(`Invalid host policy entry "${raw}".`);
    names.push(
      name.startsWith('*.') ? { value: name.slice(1), wildcard: true } : { value: name, wildcard: false },
    );
  }
  return { cidrs, names };
}

function parseCidr(entry: string): Cidr | null {
  const slash = entry.indexOf('/');
  const addressPart = slash === -1 ? entry : entry.slice(0, slash);
  if (isIP(addressPart) === 0) return null;
  const isV6 = addressPart.includes(':');
  const width = isV6 ? 128 : 32;
  let bits = width;
  if (slash !== -1) {
    const prefix = entry.slice(slash + 1);
    if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > width)
      throw new TypeError(`Invalid host policy entry "${entry}".`);
    bits = Number(prefix);
  }
  const raw = isV6 ? parseV6(addressPart) : parseV4(addressPart);
  if (raw === null) return null;
  if (isV6 && bits >= 96 && raw >> 32n === 0xffffn) {
    return { v6: false, base: raw & 0xffffffffn, bits: bits - 96 };
  }
  return { v6: isV6, base: raw, bits };
}

/** Parses an address for matching; IPv4-mapped IPv6 becomes IPv4, a zone id (`%eth0`) is ignored. */
function parseAddress(address: string): Cidr | null {
  const plain = address.split('%')[0] ?? '';
  const kind = isIP(plain);
  if (kind === 4) {
    const v = parseV4(plain);
    return v === null ? null : { v6: false, base: v, bits: 32 };
  }
  if (kind !== 6) return null;
  const v = parseV6(plain);
  if (v === null) return null;
  if (v >> 32n === 0xffffn) return { v6: false, base: v & 0xffffffffn, bits: 32 };
  return { v6: true, base: v, bits: 128 };
}

function parseV4(s: string): bigint | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  let n = 0n;
  for (const p of parts) n = (n << 8n) | BigInt(Number(p));
  return n;
}

/** Expects input already validated by `net.isIP` as IPv6. */
function parseV6(s: string): bigint | null {
  let text = s;
  let tail: bigint | null = null;
  const lastColon = text.lastIndexOf(':');
  const maybeV4 = text.slice(lastColon + 1);
  if (maybeV4.includes('.')) {
    tail = parseV4(maybeV4);
    if (tail === null) return null;
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const [head = '', rest] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const restGroups = rest === undefined || rest === '' ? [] : rest.split(':');
  const missing = 8 - headGroups.length - restGroups.length;
  if (rest === undefined ? missing !== 0 : missing < 0) return null;
  const groups = [...headGroups, ...Array<string>(rest === undefined ? 0 : missing).fill('0'), ...restGroups];
  let n = 0n;
  for (const g of groups) n = (n << 16n) | BigInt(parseInt(g, 16));
  if (tail !== null) n = (n & ~0xffffffffn) | tail;
  return n;
}
