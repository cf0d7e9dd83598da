import { watch } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

/** Polls `check` until it returns a value other than undefined/false; throws past the deadline naming `what`. */
export async function pollUntil<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  options: { deadlineMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (options.deadlineMs ?? 30_000);
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(options.intervalMs ?? 20);
  }
}

async function present(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Resolves as soon as `name` appears in (or, with `gone`, disappears from) `dir`: inotify through fs.watch,
 * with a fast stat loop as a fallback where watching is not available. Meant for firing a kill at a moment
 * another process reaches, so it reacts within a scheduler tick rather than a poll interval.
 */
export function whenEntry(dir: string, name: string, gone = false, deadlineMs = 60_000): Promise<void> {
  const path = join(dir, name);
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    let watcher: ReturnType<typeof watch> | null = null;
    const finish = (err?: Error): void => {
      if (settled) return;
      settled = true;
      watcher?.close();
      if (err === undefined) resolve();
      else reject(err);
    };
    const test = (): void => {
      present(path).then(
        (p) => {
          if (p !== gone) finish();
        },
        () => undefined,
      );
    };
    try {
      watcher = watch(dir, (_event, file) => {
        if (file === name) test();
      });
      watcher.on('error', () => undefined);
    } catch {
      watcher = null;
    }
    const deadline = Date.now() + deadlineMs;
    const loop = async (): Promise<void> => {
      while (!settled) {
        if ((await present(path)) !== gone) {
          finish();
          return;
        }
        if (Date.now() > deadline) {
          finish(new Error(`timed out waiting for ${path} to ${gone ? 'disappear' : 'appear'}`));
          return;
        }
        await delay(1);
      }
    };
    void loop();
  });
}
