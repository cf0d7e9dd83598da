/** A package in the repository. `version` is unique and reported exactly as found (§4.5). */
export interface SoftwarePackage {
  readonly version: string;
  readonly fileName: string;
  readonly size: number;
  readonly sha256: string;
  /** Safe URL of the origin (no userinfo or query), or null for an upload. */
  readonly sourceUrl: string | null;
  readonly createTime: Date;
}

const VERSION_CHARS = /^[0-9A-Za-z._-]{1,64}$/;
const IMAGE_NAME = /^9(\d{1,3})((?:P|D|RC)\d+[0-9A-Za-z]*)?_q_image\.tgz$/;
const DOTTED_IMAGE_NAME = /^(\d+\.\d+(?:\.\d+)?(?:(?:P|D|RC)\d+[0-9A-Za-z]*)?)_q_image\.tgz$/;

/** Whether a VERSION member's value is acceptable (D7 step 2). */
export function isValidVersion(value: string): boolean {
  return VERSION_CHARS.test(value);
}

/** The version implied by ONTAP's image file-name convention (D7 step 3, §10.8), or null. */
export function versionFromFileName(fileName: string): string | null {
  const dotted = DOTTED_IMAGE_NAME.exec(fileName);
  if (dotted?.[1] !== undefined) return dotted[1];
  const m = IMAGE_NAME.exec(fileName);
  if (m === null) return null;
  const digits = m[1] ?? '';
  const suffix = m[2] ?? '';
  let base: string;
  if (digits.length === 1) base = `9.${digits}`;
  else if (digits.length === 2) base = `9.${digits[0] ?? ''}.${digits[1] ?? ''}`;
  else base = `9.${digits.slice(0, 2)}.${digits.slice(2)}`;
  return base + suffix;
}

/** `{generation, major, minor}` from a leading `<g>.<M>[.<m>]`, minor defaulting to 0 (D20). */
export function versionParts(version: string): { generation: number; major: number; minor: number } | null {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(version);
  if (m === null) return null;
  return { generation: Number(m[1]), major: Number(m[2]), minor: Number(m[3] ?? '0') };
}
