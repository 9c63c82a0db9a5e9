/**
 * English number words to digits, the small part of Ruby's `Numerizer` that GitLab's duration
 * parser runs first ("one hour", "twenty-five minutes"). Hundreds, ordinals and fractions
 * ("a half") are not handled.
 * Source: gitlab-chronic-duration `cleanup` (Numerizer.numerize), see
 * https://gitlab.com/gitlab-org/gitlab-chronic-duration
 */

const UNITS = [
  "zero",
  "one",
  "two",
  "three",
  "four",
  "five",
  "six",
  "seven",
  "eight",
  "nine",
  "ten",
  "eleven",
  "twelve",
  "thirteen",
  "fourteen",
  "fifteen",
  "sixteen",
  "seventeen",
  "eighteen",
  "nineteen",
];
const TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];

const unitValue = new Map(UNITS.map((word, i) => [word, i]));
const tensValue = new Map(TENS.map((word, i) => [word, (i + 2) * 10]));

const TENS_WITH_ONES = new RegExp(
  `\\b(${TENS.join("|")})(?:[ -]+(${UNITS.slice(1, 10).join("|")}))?\\b`,
  "g",
);
const SINGLE = new RegExp(`\\b(${UNITS.join("|")})\\b`, "g");

/** Replaces number words in lower-case `text` with their digits. */
export function numerize(text: string): string {
  return text
    .replace(TENS_WITH_ONES, (_match, tens: string, ones?: string) =>
      String((tensValue.get(tens) ?? 0) + (ones ? (unitValue.get(ones) ?? 0) : 0)),
    )
    .replace(SINGLE, (word: string) => String(unitValue.get(word) ?? word));
}
