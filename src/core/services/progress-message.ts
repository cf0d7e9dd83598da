const MIB = 1048576;

/** D9: `Package download in progress: <P>% (<R> MiB of <T> MiB)`, or `... : <R> MiB` without a size. */
export function progressMessage(verb: 'download' | 'upload', received: number, total: number | null): string {
  const r = Math.floor(received / MIB);
  if (total === null || total <= 0) return `Package ${verb} in progress: ${r} MiB`;
  const p = Math.min(100, Math.floor((100 * received) / total));
  return `Package ${verb} in progress: ${p}% (${r} MiB of ${Math.floor(total / MIB)} MiB)`;
}

/** Calls `emit` at most once per `intervalMs`, using the given time source. */
export function throttle(intervalMs: number, now: () => number, emit: (message: string) => void): (message: string) => void {
  let last = -Infinity;
  return (message) => {
    const t = now();
    if (t - last < intervalMs) return;
    last = t;
    emit(message);
  };
}
