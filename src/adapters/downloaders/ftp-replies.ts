/** Where an FTP session was when something went wrong; decides the hint and whether a retry can help. */
export type FtpPhase = 'connect' | 'auth' | 'login' | 'setup' | 'size' | 'passive' | 'retr';

/** Replies after which the same transfer can be continued on a new connection with `REST`. */
const TRANSIENT_REPLIES = new Set([421, 425, 426, 451]);

const MAX_TEXT = 200;

export function isTransientReply(code: number): boolean {
  return TRANSIENT_REPLIES.has(code);
}

/**
 * The human part of a server reply, safe to show: the last line of a (multi-line) reply without its code,
 * control characters removed, `PASS <arg>` and the password itself redacted, and length capped. A server may
 * echo what it received, so a reply is never trusted to be free of the password.
 */
export function replyText(message: string, password: string | null): string {
  const lines = message.split(/\r?\n/).filter((line) => line.trim() !== '');
  let text = (lines[lines.length - 1] ?? '').replace(/^\d{3}[ -]?/, '');
  text = text.replace(/[\p{Cc}\p{Cf}]/gu, ' ').replace(/\bPASS\s+\S+/gi, 'PASS ***');
  if (password !== null && password !== '') {
    text =
      password.length >= 4
        ? text.split(password).join('***')
        : text
            .split(/(\s+)/)
            .map((token) => (token === password ? '***' : token))
            .join('');
  }
  text = text.replace(/\s+/g, ' ').trim();
  if (text.length > MAX_TEXT) text = `${text.slice(0, MAX_TEXT)}…`;
  return text === '' ? '(no text)' : text;
}

/** A hint a person can act on, chosen by reply code and by what the session was doing. */
export function replyHint(
  code: number,
  phase: FtpPhase,
  context: { anonymous: boolean; resuming: boolean },
): string | undefined {
  if (phase === 'auth' && code >= 400) return 'the server does not support FTPS';
  if (code === 534) return 'the server does not support FTPS';
  if (phase === 'retr' && context.resuming && [500, 501, 502, 504].includes(code)) {
    return 'the server cannot resume a transfer (REST)';
  }
  if (phase === 'passive' && code >= 500) return 'the server refused passive mode';
  switch (code) {
    case 530:
      return context.anonymous
        ? 'the server does not allow anonymous login; supply a username and password'
        : 'check the username and password';
    case 332:
    case 532:
      return 'the server requires an account (ACCT), which is not supported';
    case 550:
      return 'the file does not exist or is not readable';
    case 421:
      return 'the server closed the connection';
    case 425:
      return 'the server could not open the data connection';
    case 426:
      return 'the data connection was closed during the transfer';
    case 450:
      return 'the file is busy or temporarily unavailable';
    case 451:
      return 'the server hit a local error while reading the file';
    case 522:
      return 'the server does not accept the network protocol of this connection';
    case 533:
    case 536:
      return 'the server refused to protect the data connection';
    case 500:
    case 502:
    case 504:
      return 'the server does not support a command the download needs';
    default:
      return undefined;
  }
}
