import type { CliIo } from './io.js';
import { formatBytes, formatDuration, formatRate } from './client/format.js';

const MIB = 1024 * 1024;

export interface TransferProgress {
  /** Bytes moved so far. */
  readonly received: number;
  /** Bytes expected in all, when known. */
  readonly total: number | null;
}

/**
 * Reads D9's job message: `Package download in progress: 45% (921 MiB of 2048 MiB)` or
 * `Package upload in progress: 12 MiB`. Returns null for any other message.
 */
export function parseJobProgress(message: string): TransferProgress | null {
  const full = /^Package (?:download|upload) in progress: (\d+)% \((\d+) MiB of (\d+) MiB\)$/.exec(message);
  if (full !== null) {
    const percent = Number(full[1]);
    const total = Number(full[3]) * MIB;
    // The MiB counts are floored; the percent is finer for small totals.
    const received = Math.max(Number(full[2]) * MIB, Math.floor((percent / 100) * total));
    return { received, total: total > 0 ? total : null };
  }
  const partial = /^Package (?:download|upload) in progress: (\d+) MiB$/.exec(message);
  if (partial !== null) return { received: Number(partial[1]) * MIB, total: null };
  return null;
}

export interface ProgressReporter {
  /** A new reading; `now` in ms (injectable for tests). */
  update(progress: TransferProgress, now?: number): void;
  /** Ends the display (draws the last state and ends the line on a terminal). */
  done(final?: TransferProgress): void;
}

export interface ProgressOptions {
  /** e.g. `Package download`. */
  readonly label: string;
  /** Machine output: no progress at all. */
  readonly quiet: boolean;
  /** Plain mode: a line whenever the percent crosses a multiple of this (default 10). */
  readonly stepPercent?: number;
  /** Plain mode: a line at least this often while bytes move, in ms (default 5000). */
  readonly everyMs?: number;
}

/** Rate over a sliding window of readings. */
class RateMeter {
  readonly #samples: { t: number; bytes: number }[] = [];
  readonly #windowMs: number;

  constructor(windowMs = 5000) {
    this.#windowMs = windowMs;
  }

  add(t: number, bytes: number): void {
    this.#samples.push({ t, bytes });
    while (this.#samples.length > 2 && t - (this.#samples[0]?.t ?? t) > this.#windowMs) this.#samples.shift();
  }

  /** Bytes per second, or null before two readings a moment apart. */
  rate(): number | null {
    const first = this.#samples[0];
    const last = this.#samples[this.#samples.length - 1];
    if (first === undefined || last === undefined || last.t - first.t < 200) return null;
    return ((last.bytes - first.bytes) * 1000) / (last.t - first.t);
  }
}

function describe(p: TransferProgress, rate: number | null): { percent: number | null; text: string } {
  const percent = p.total !== null && p.total > 0 ? Math.min(100, Math.floor((100 * p.received) / p.total)) : null;
  const parts: string[] = [];
  parts.push(p.total !== null ? `${formatBytes(p.received)} of ${formatBytes(p.total)}` : formatBytes(p.received));
  if (rate !== null) parts.push(formatRate(rate));
  if (rate !== null && rate > 0 && p.total !== null && p.received < p.total) {
    parts.push(`ETA ${formatDuration((p.total - p.received) / rate)}`);
  }
  return { percent, text: parts.join(', ') };
}

/**
 * A live single-line bar on a terminal (standard error), plain throttled lines otherwise: one when the percent
 * crosses a `stepPercent` boundary or `everyMs` has passed, and one at the end. Nothing with `quiet`.
 */
export function createProgress(io: CliIo, options: ProgressOptions): ProgressReporter {
  if (options.quiet) return { update: () => undefined, done: () => undefined };
  const meter = new RateMeter();
  let last: TransferProgress | null = null;

  if (io.errIsTty === true) {
    let lastDraw = 0;
    let drawn = false;
    const draw = (p: TransferProgress): void => {
      const { percent, text } = describe(p, meter.rate());
      // A pseudo-terminal may report 0 columns: assume 80 then.
      const columns = io.columns !== undefined && io.columns > 0 ? io.columns : 80;
      const tail = `${percent !== null ? `${String(percent).padStart(3)}% ` : ''}${text}`;
      // The bar takes what the text leaves, up to 30 cells; it is dropped before the text is cut.
      const room = columns - 1 - options.label.length - tail.length - 4;
      let bar = '';
      if (percent !== null && room >= 10) {
        const barWidth = Math.min(30, room);
        const filled = Math.round((barWidth * percent) / 100);
        bar = ` [${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}]`;
      }
      const line = `${options.label}${bar} ${tail}`.slice(0, columns - 1);
      io.err(`\r\x1b[2K${line}`);
      drawn = true;
    };
    return {
      update(p, now = Date.now()) {
        meter.add(now, p.received);
        last = p;
        if (now - lastDraw >= 100) {
          lastDraw = now;
          draw(p);
        }
      },
      done(final) {
        const p = final ?? last;
        if (p !== null) draw(p);
        if (drawn) io.err('\n');
      },
    };
  }

  const step = options.stepPercent ?? 10;
  const everyMs = options.everyMs ?? 5000;
  let lastBucket = -1;
  let lastLine = 0;
  let lastBytes = -1;
  const print = (p: TransferProgress): void => {
    const { percent, text } = describe(p, meter.rate());
    io.err(`${options.label}: ${percent !== null ? `${percent}% (${text})` : text}\n`);
    lastBytes = p.received;
  };
  return {
    update(p, now = Date.now()) {
      meter.add(now, p.received);
      last = p;
      const percent = p.total !== null && p.total > 0 ? Math.floor((100 * p.received) / p.total) : null;
      const bucket = percent !== null ? Math.floor(percent / step) : -1;
      if ((percent !== null && bucket > lastBucket) || (p.received !== lastBytes && now - lastLine >= everyMs)) {
        lastBucket = Math.max(lastBucket, bucket);
        lastLine = now;
        print(p);
      }
    },
    done(final) {
      const p = final ?? last;
      if (p !== null && p.received !== lastBytes) print(p);
    },
  };
}
