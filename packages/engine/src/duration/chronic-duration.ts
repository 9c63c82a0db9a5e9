/**
 * Durations as GitLab reads them (`start_in`, `timeout`, `artifacts:expire_in`): the
 * gitlab-chronic-duration gem, `ChronicDuration.parse`. Words after a number name its unit
 * ("2 hours 30 min", "1 day", "1w"); a number without a unit is seconds ("10"); `h:m:s` is
 * read right to left ("1:30" is 90 seconds); unknown words and "and"/"with"/"plus" are
 * dropped; a string that starts with a unit counts one of it ("hour" is 3600). A result of 0 is
 * "not a duration" (`undefined`), as in the gem.
 * Sources: https://gitlab.com/gitlab-org/gitlab-chronic-duration (lib/gitlab_chronic_duration.rb),
 * GitLab's port app/assets/javascripts/chronic_duration.js.
 */
import { numerize } from "./number-words.js";

export type DurationUnit = "seconds" | "minutes" | "hours" | "days" | "weeks" | "months" | "years";

/** Seconds per unit: 24-hour days, 30-day months, weeks of 30 / 4 = 7 days, 365.25-day years. */
const SECONDS_PER: Record<DurationUnit, number> = {
  seconds: 1,
  minutes: 60,
  hours: 3600,
  days: 86_400,
  weeks: 7 * 86_400,
  months: 30 * 86_400,
  years: 31_557_600,
};

/** The words the gem accepts for each unit. */
const UNIT_WORDS: Record<string, DurationUnit> = {
  seconds: "seconds",
  second: "seconds",
  secs: "seconds",
  sec: "seconds",
  s: "seconds",
  minutes: "minutes",
  minute: "minutes",
  mins: "minutes",
  min: "minutes",
  m: "minutes",
  hours: "hours",
  hour: "hours",
  hrs: "hours",
  hr: "hours",
  h: "hours",
  days: "days",
  day: "days",
  dy: "days",
  d: "days",
  weeks: "weeks",
  week: "weeks",
  wks: "weeks",
  wk: "weeks",
  w: "weeks",
  months: "months",
  mo: "months",
  mos: "months",
  month: "months",
  years: "years",
  year: "years",
  yrs: "years",
  yr: "years",
  y: "years",
};

/** `h:m:s` fields from the right; weeks have no place in that form. */
const CLOCK_UNITS: DurationUnit[] = ["seconds", "minutes", "hours", "days", "months", "years"];

const NUMBER = "[0-9]*\\.?[0-9]+";
const isNumber = (word: string) => new RegExp(NUMBER).test(word);
const isUnit = (word: string): word is DurationUnit => Object.hasOwn(SECONDS_PER, word);

export interface ParseDurationOptions {
  /** Unit of a trailing number without one (the gem's `default_unit`); seconds by default. */
  defaultUnit?: DurationUnit;
}

/** Seconds in `value`, or `undefined` when it names no (or a zero) duration. */
export function parseDuration(
  value: string | number,
  options: ParseDurationOptions = {},
): number | undefined {
  const words = normalize(String(value).toLowerCase());
  if (words === undefined) return undefined;
  let seconds = 0;
  words.forEach((word, i) => {
    if (!isNumber(word)) return;
    const unit = words[i + 1] ?? options.defaultUnit ?? "seconds";
    // A number followed by another number is multiplied by nothing, as in the gem.
    seconds += Number.parseFloat(word) * (isUnit(unit) ? SECONDS_PER[unit] : 0);
  });
  return seconds === 0 ? undefined : seconds;
}

/** The gem's `cleanup`: numbers and unit names, each its own word. */
function normalize(text: string): string[] | undefined {
  const clock = clockToWords(numerize(text));
  if (clock === undefined) return undefined;
  const spaced = clock
    .replace(new RegExp(NUMBER, "g"), (n) => ` ${n} `)
    .trim()
    .split(/\s+/)
    .filter((word) => word !== "");
  const words: string[] = [];
  for (const word of spaced) {
    if (isNumber(word)) {
      words.push(word);
      continue;
    }
    const unit = UNIT_WORDS[word.replace(/^,/, "").replace(/,$/, "")];
    if (unit !== undefined) words.push(unit);
  }
  // "hour" or "minute 30 sec": a leading unit counts one.
  if (words[0] !== undefined && isUnit(words[0])) words.unshift("1");
  return words;
}

/** `3:41:59` → `3 hours 41 minutes 59 seconds`; more fields than units is no duration. */
function clockToWords(text: string): string | undefined {
  const compact = text.replace(/ /g, "");
  if (!new RegExp(`${NUMBER}(:${NUMBER})+`).test(compact)) return text;
  const fields = compact.split(":").reverse();
  if (fields.length > CLOCK_UNITS.length) return undefined;
  return fields
    .map((field, i) => `${field} ${CLOCK_UNITS[i]}`)
    .reverse()
    .join(" ");
}
