const MIB = 1048576;

/** D9: `Package download in progress: <P>% (<R> MiB of <T> MiB)`, or `... : <R> MiB` without a size. */
export function progressMessage(verb: 'download' | 'upload', received: number, total: number | null): string {
  const r = Math.floor(received / MIB);
  if (total === null || total <= 0) return `Package ${verb} in progress: ${r} MiB`;
  const p = Math.min(100, Math.floor((100 * received) / total));
  return `Package ${verb} in progress: ${p}% (${r} MiB of ${Math.floor(total / MIB)} MiB)`;
}

/**
 * Calls `emit` at most once per `intervalMs`. A message that arrives too soon is not lost: the latest one is
 * emitted when the interval ends, so a transfer that stalls still shows how far it got. A function is called
 * only when its message is emitted, so callers on a per-chunk path build no string they drop.
 */
export function throttle(
  intervalMs: number,
  now: () => number,
  emit: (message: string) => void,
): (message: string | (() => string)) => void {
  let last = -Infinity;
  let pending: string | (() => string) | null = null;
  let timer: NodeJS.Timeout | null = null;
  const flush = (): void => {
    timer = null;
    if (pending === null) return;
    last = now();
    const message = pending;
    pending = null;
    emit(typeof message === 'string' ? message : message());
  };
  return (message) => {
    const t = now();
    if (t - last >= intervalMs) {
      last = t;
      pending = null;
      emit(typeof message === 'string' ? message : message());
      return;
    }
    pending = message;
    if (timer === null) {
      timer = setTimeout(flush, Math.max(0, intervalMs - (t - last)));
      timer.unref();
    }
  };
}
