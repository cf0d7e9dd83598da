/**
 * Fires once when no activity was seen for `limitMs` while not paused. Paused time (our own sink applying
 * backpressure) never counts: only a server that stops sending is a timeout. Checks run on a coarse interval,
 * so it fires between `limitMs` and `limitMs` plus one check interval after the last activity.
 */
export class IdleWatchdog {
  #timer: NodeJS.Timeout | undefined;
  #last = 0;
  #paused = false;

  arm(limitMs: number, onIdle: () => void): void {
    this.stop();
    this.#last = performance.now();
    this.#paused = false;
    const step = Math.max(5, Math.min(1000, Math.floor(limitMs / 4)));
    this.#timer = setInterval(() => {
      if (this.#paused || performance.now() - this.#last < limitMs) return;
      this.stop();
      onIdle();
    }, step);
    this.#timer.unref();
  }

  touch(): void {
    this.#last = performance.now();
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    this.#last = performance.now();
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
