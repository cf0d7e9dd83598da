interface Failures {
  count: number;
  first: number;
  lockedUntil: number;
}

export interface ThrottleSettings {
  /** Failures within `windowMs` after which answers start to slow down. */
  readonly slowAfter: number;
  /** Failures within `windowMs` after which the client is locked out (429). */
  readonly lockAfter: number;
  readonly windowMs: number;
  readonly lockMs: number;
  /** Added per failure beyond `slowAfter`, capped at `maxDelayMs`. */
  readonly stepDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_THROTTLE: ThrottleSettings = {
  slowAfter: 3,
  lockAfter: 10,
  windowMs: 5 * 60 * 1000,
  lockMs: 60 * 1000,
  stepDelayMs: 200,
  maxDelayMs: 2000,
};

const MAX_CLIENTS = 10000;

/** Failed-login accounting per client address: slower answers first, then a temporary lock-out. */
export class LoginThrottle {
  readonly #s: ThrottleSettings;
  readonly #clients = new Map<string, Failures>();

  constructor(settings: ThrottleSettings = DEFAULT_THROTTLE) {
    this.#s = settings;
  }

  /** Seconds the client must wait, or 0 when it may try. */
  lockedFor(client: string, now = Date.now()): number {
    const f = this.#clients.get(client);
    if (f === undefined || f.lockedUntil <= now) return 0;
    return Math.ceil((f.lockedUntil - now) / 1000);
  }

  /** Records a failure; returns how long to delay this answer. */
  fail(client: string, now = Date.now()): number {
    let f = this.#clients.get(client);
    if (f === undefined || now - f.first > this.#s.windowMs) {
      if (this.#clients.size >= MAX_CLIENTS) this.#evict(now);
      f = { count: 0, first: now, lockedUntil: 0 };
      this.#clients.set(client, f);
    }
    f.count += 1;
    if (f.count >= this.#s.lockAfter) f.lockedUntil = now + this.#s.lockMs;
    const over = f.count - this.#s.slowAfter;
    return over > 0 ? Math.min(this.#s.maxDelayMs, over * this.#s.stepDelayMs) : 0;
  }

  succeed(client: string): void {
    this.#clients.delete(client);
  }

  #evict(now: number): void {
    for (const [k, f] of this.#clients) {
      if (now - f.first > this.#s.windowMs && f.lockedUntil <= now) this.#clients.delete(k);
    }
    if (this.#clients.size >= MAX_CLIENTS) {
      const first = this.#clients.keys().next();
      if (first.done !== true) this.#clients.delete(first.value);
    }
  }
}
