/** Small named documents that must survive a restart (cluster identity, download status, update state). */
export interface StateStore {
  get<T>(key: string): Promise<T | undefined>;
  /** Replaces the value atomically. */
  set(key: string, value: unknown): Promise<void>;
}
