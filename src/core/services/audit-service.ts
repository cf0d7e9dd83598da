import type { StateStore } from '../ports/state-store.js';

/**
 * ONTAP's administrative audit settings for read requests (`security audit modify`, `/api/security/audit`):
 * requests that change something are always audited; reads only for the interfaces switched on here.
 */
export interface AuditSettings {
  /** Audit CLI reads. ONTAP's flag, kept for clients that set it; this server has no CLI of its own. */
  readonly cli: boolean;
  /** Audit HTTP GET (and HEAD, OPTIONS) requests that succeed. */
  readonly http: boolean;
  /** Audit ONTAPI reads. ONTAP's flag, kept for clients that set it; this server has no ONTAPI. */
  readonly ontapi: boolean;
}

const KEY = 'security.audit';
/** ONTAP's defaults: every flag off. */
const DEFAULTS: AuditSettings = { cli: false, http: false, ontapi: false };

function settingsOf(doc: unknown): AuditSettings {
  const stored = typeof doc === 'object' && doc !== null ? (doc as Partial<Record<string, unknown>>) : {};
  const flag = (name: keyof AuditSettings): boolean =>
    typeof stored[name] === 'boolean' ? stored[name] : DEFAULTS[name];
  return { cli: flag('cli'), http: flag('http'), ontapi: flag('ontapi') };
}

/** The audit settings, kept in the state store so that they survive a restart, and read without I/O. */
export class AuditService {
  readonly #state: StateStore;
  #current: AuditSettings;

  private constructor(state: StateStore, current: AuditSettings) {
    this.#state = state;
    this.#current = current;
  }

  static async load(state: StateStore): Promise<AuditService> {
    return new AuditService(state, settingsOf(await state.get(KEY)));
  }

  get settings(): AuditSettings {
    return this.#current;
  }

  /** Whether successful HTTP reads get an access line; on the path of every request, so synchronous. */
  get auditsHttpReads(): boolean {
    return this.#current.http;
  }

  /** Changes the given flags; an empty change changes nothing (ONTAP: "An empty body will make no changes"). */
  async update(change: Partial<AuditSettings>): Promise<AuditSettings> {
    if (Object.keys(change).length === 0) return this.#current;
    const next: AuditSettings = { ...this.#current, ...change };
    await this.#state.set(KEY, next);
    this.#current = next;
    return next;
  }
}
