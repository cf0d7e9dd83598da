export type Role = 'admin' | 'readonly';

export interface UserRecord {
  readonly name: string;
  readonly role: Role;
  /** Encoded scrypt hash (see core/model/password.ts); never the password. */
  readonly passwordHash: string;
}

/** API users. Names are unique. */
export interface UserStore {
  /** Inserts a user; returns false when the name is taken. */
  add(user: UserRecord): Promise<boolean>;
  get(name: string): Promise<UserRecord | undefined>;
  /** Sorted by name. */
  list(): Promise<UserRecord[]>;
  /** Returns false when there was no such user. */
  remove(name: string): Promise<boolean>;
  /** Returns false when there was no such user. */
  setPasswordHash(name: string, passwordHash: string): Promise<boolean>;
  /**
   * A number that changes whenever any user is added, removed or changed, also by another process on the
   * same database, so credential caches can be invalidated.
   */
  revision(): Promise<number>;
}
