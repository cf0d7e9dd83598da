import { promises as dns } from 'node:dns';
import { isIP } from 'node:net';
import { failures } from '../../core/errors.js';
import type { HostPolicy } from './host-policy.js';
import { abortable } from './abortable.js';

export interface ResolvedAddress {
  readonly address: string;
  readonly family: number;
}

/** Resolves a host name to every candidate address; rejects with a coded error (`ENOTFOUND`…) on failure. */
export type HostLookup = (hostname: string) => Promise<readonly ResolvedAddress[]>;

export const defaultLookup: HostLookup = (hostname) => dns.lookup(hostname, { all: true });

/**
 * Resolves `host` (an IP literal is taken as is), checks every candidate address against the policy and
 * returns the first one, to which the caller pins its connection. Rejects with `failures.hostUnresolvable`,
 * `failures.hostDenied`, or `signal.reason` when aborted.
 */
export async function resolveAllowed(
  host: string,
  policy: HostPolicy,
  lookup: HostLookup = defaultLookup,
  signal?: AbortSignal,
): Promise<string> {
  let addresses: readonly ResolvedAddress[];
  if (isIP(host) !== 0) {
    addresses = [{ address: host, family: isIP(host) }];
  } else {
    try {
      addresses = await (signal === undefined ? lookup(host) : abortable(lookup(host), signal));
    } catch {
      signal?.throwIfAborted();
      throw failures.hostUnresolvable(host);
    }
  }
  const first = addresses[0];
  if (first === undefined) throw failures.hostUnresolvable(host);
  for (const { address } of addresses) {
    if (!policy.permits(host, address)) throw failures.hostDenied(host, address);
  }
  return first.address;
}
