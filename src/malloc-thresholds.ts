/**
 * The mmap threshold to reach; the trim threshold becomes twice that. 4 MiB removed the faults as well as
 * 16 MiB did, and kept the first transfer's RSS growth where it was without the raise (+49 vs +70 MiB).
 * glibc adjusts by itself only up to DEFAULT_MMAP_THRESHOLD_MAX (32 MiB on 64-bit).
 */
const RAISE_TO = 4 * 1024 * 1024;

/**
 * Makes glibc keep freed memory for reuse instead of handing it back to the kernel at once.
 *
 * Every socket read allocates a fresh 64 KiB buffer, and transfers drop them by the thousand at each
 * garbage collection. With glibc's default thresholds (mmap 128 KiB, trim 128 KiB) the heap top is then
 * trimmed and the next reads fault their pages in again: on the VM we measure on, a 2 GiB download took
 * 100-400k page faults and about twice the time (docs/performance-analysis.md).
 *
 * glibc raises both thresholds on its own when a memory-mapped block larger than the current threshold is
 * freed (mallopt(3), "dynamic mmap threshold"): mmap to the block's size, trim to twice that. Allocating and
 * dropping one 4 MiB buffer, never touched, sets them to 4 and 8 MiB once the collector frees it. Other
 * allocators ignore it; it costs no resident memory.
 */
export function raiseMallocThresholds(): void {
  void Buffer.allocUnsafeSlow(RAISE_TO);
}
