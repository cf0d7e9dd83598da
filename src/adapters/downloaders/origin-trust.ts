import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';

export type WarnFn = (message: string, details: Record<string, unknown>) => void;

export interface OriginTrustOptions {
  /** Extra trusted CAs (PEM), added to Node's bundled roots. */
  readonly caPem?: readonly string[];
  /** Host names (as written in URLs) whose certificates are not verified. */
  readonly insecureHosts?: readonly string[];
  /** Receives the warning for every connection made without certificate verification. */
  readonly warn?: WarnFn;
}

/** How HTTPS and FTPS origins are trusted: one trust store for both, and the per-host opt-out. */
export class OriginTrust {
  /** Node's roots plus the configured CAs, or undefined when none are configured (Node's default applies). */
  readonly secureContext: SecureContext | undefined;
  readonly #insecureHosts: ReadonlySet<string>;
  readonly #warn: WarnFn;

  constructor(options: OriginTrustOptions) {
    const extra = options.caPem ?? [];
    this.secureContext =
      extra.length > 0 ? createSecureContext({ ca: [...rootCertificates, ...extra] }) : undefined;
    this.#insecureHosts = new Set((options.insecureHosts ?? []).map((h) => h.toLowerCase()));
    this.#warn =
      options.warn ??
      ((message, details) => {
        process.emitWarning(`${message} ${JSON.stringify(details)}`);
      });
  }

  /** Whether verification is off for `host`; every time it is, the warning is logged with `details`. */
  skipsVerification(host: string, message: string, details: Record<string, unknown>): boolean {
    const insecure = this.#insecureHosts.has(host.toLowerCase());
    if (insecure) this.#warn(message, details);
    return insecure;
  }
}
