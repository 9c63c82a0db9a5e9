/** Binary operators of GitLab's CI/CD expression language. */
export type BinaryOperator = "==" | "!=" | "=~" | "!~" | "&&" | "||";

interface TokenBase {
  /** 0-based index of the token's first character in the expression. */
  readonly offset: number;
  /** The token exactly as written. */
  readonly text: string;
}

export type Token = TokenBase &
  (
    | { readonly kind: "variable"; readonly name: string }
    | { readonly kind: "input"; readonly name: string }
    | { readonly kind: "string"; readonly value: string }
    | { readonly kind: "regex" }
    | { readonly kind: "null" }
    | { readonly kind: "boolean"; readonly value: boolean }
    | { readonly kind: "operator"; readonly operator: BinaryOperator }
    | { readonly kind: "open" }
    | { readonly kind: "close" }
  );

/**
 * Binding strength as GitLab numbers it (after Ruby's operator table, which its docs cite):
 * a lower number binds tighter. Comparisons and matches share one level, then `&&`, then `||`;
 * every level is left-associative.
 * https://docs.gitlab.com/ci/jobs/job_rules/#join-variable-expressions-together
 */
export const PRECEDENCE: Readonly<Record<BinaryOperator, number>> = {
  "==": 10,
  "!=": 10,
  "=~": 10,
  "!~": 10,
  "&&": 11,
  "||": 12,
};
