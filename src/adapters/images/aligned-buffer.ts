/**
 * Alignment of direct (O_DIRECT) writes: memory address, file offset and length. Block devices ask for their
 * logical block size (512 or 4096) and DMA alignment (at most a page); a page satisfies every one of them.
 */
export const DIRECT_ALIGN = 4096;

/**
 * A buffer whose memory starts on a page boundary, as O_DIRECT writes need. Ordinary buffers come from malloc,
 * which aligns to 16 bytes. V8 reserves the memory of a resizable ArrayBuffer with its page allocator
 * (the same path as WebAssembly memory), so it starts on a page; `test/unit/images/aligned-buffer.test.ts`
 * holds V8 to that with real direct writes. The buffer never resizes: its maximum is its length.
 */
export function alignedBuffer(bytes: number): Buffer {
  if (bytes <= 0 || bytes % DIRECT_ALIGN !== 0) {
    throw new RangeError(`aligned buffers are whole pages, not ${String(bytes)} bytes`);
  }
  return Buffer.from(new ArrayBuffer(bytes, { maxByteLength: bytes }));
}

export function alignUp(n: number): number {
  return Math.ceil(n / DIRECT_ALIGN) * DIRECT_ALIGN;
}
