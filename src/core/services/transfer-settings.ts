/** Limits that apply to every package transfer, download or upload (D6, D17). */
export interface TransferSettings {
  /** Whole-transfer limit (10551383 / 10551373). */
  readonly timeLimitSeconds: number;
  /** Largest package accepted, in bytes. */
  readonly maxPackageBytes: number;
  /** A transfer fails when the repository's device would have less than this free. */
  readonly minFreeBytes: number;
}
