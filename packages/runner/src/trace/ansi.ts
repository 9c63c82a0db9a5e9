/** The ANSI sequences gitlab-runner writes into job logs (`helpers/ansi_colors.go`). */
export const ANSI_BOLD_RED = "\x1b[31;1m";
export const ANSI_BOLD_GREEN = "\x1b[32;1m";
export const ANSI_BOLD_CYAN = "\x1b[36;1m";
export const ANSI_YELLOW = "\x1b[0;33m";
export const ANSI_RESET = "\x1b[0;m";
export const ANSI_CLEAR = "\x1b[0K";
