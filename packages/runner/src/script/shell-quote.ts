/**
 * POSIX shell quoting: a value inside single quotes, with `'` written as `'\''`. Works the same
 * in bash, dash and busybox sh (no `$'…'`). Pure.
 */

const PLAIN = /^[A-Za-z0-9_./,:=@%+-]+$/;

/** A word the shell reads back as exactly `value`. */
export function shellQuote(value: string): string {
  if (PLAIN.test(value)) return value;
  return `'${value.replaceAll("\0", "").replaceAll("'", `'\\''`)}'`;
}

/** A name the shell accepts after `export` (`[A-Za-z_][A-Za-z0-9_]*`). */
export function isShellName(key: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key);
}
