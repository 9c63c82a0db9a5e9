/**
 * The title/description split of a commit message, as GitLab makes it for `CI_COMMIT_TITLE`
 * and `CI_COMMIT_DESCRIPTION`.
 */

/** What GitLab shows for a commit whose message is blank (`Gitlab::Git::Commit#no_commit_message`). */
export const NO_COMMIT_MESSAGE = "--no commit message";

/** Ruby's `String#blank?`: empty or only whitespace. */
function isBlank(text: string): boolean {
  return /^\s*$/u.test(text);
}

/**
 * `CI_COMMIT_TITLE` (GitLab's `Commit#full_title`): the message up to the first `\r` or `\n`,
 * or `--no commit message` when the message is blank.
 */
export function commitTitle(message: string): string {
  if (isBlank(message)) return NO_COMMIT_MESSAGE;
  const lineEnd = message.search(/[\r\n]/);
  return lineEnd === -1 ? message : message.slice(0, lineEnd);
}

/**
 * `CI_COMMIT_DESCRIPTION` (GitLab's `Commit#description`): the whole message when the title is
 * 100 characters or longer; `--no commit message` for a blank message; otherwise the message
 * after the first `\n`, without one trailing line break (`chomp`), or empty for one line.
 */
export function commitDescription(message: string): string {
  if (Array.from(commitTitle(message)).length >= 100) return message;
  if (isBlank(message)) return NO_COMMIT_MESSAGE;
  const newline = message.indexOf("\n");
  if (newline === -1) return "";
  return message.slice(newline + 1).replace(/(\r\n|\r|\n)$/, "");
}
