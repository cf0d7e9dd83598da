import { writev } from 'node:fs';

/** pwritev until every byte is written: regular files may return short writes, e.g. just before ENOSPC. */
export function writeFully(
  fd: number,
  parts: Buffer[],
  position: number,
  cb: (err: NodeJS.ErrnoException | null) => void,
): void {
  writev(fd, parts, position, (err, written) => {
    if (err !== null) {
      cb(err);
      return;
    }
    const total = parts.reduce((n, p) => n + p.length, 0);
    if (written >= total) {
      cb(null);
      return;
    }
    let skip = written;
    const rest: Buffer[] = [];
    for (const p of parts) {
      if (skip >= p.length) skip -= p.length;
      else {
        rest.push(skip > 0 ? p.subarray(skip) : p);
        skip = 0;
      }
    }
    writeFully(fd, rest, position + written, cb);
  });
}
