/**
 * The slugs GitLab derives from names: `CI_COMMIT_REF_SLUG`, `CI_JOB_NAME_SLUG`,
 * `CI_PROJECT_PATH_SLUG` (one rule) and `CI_ENVIRONMENT_SLUG` (another).
 */
import { sha256Hex } from "../hash/sha256.js";

/**
 * `CI_COMMIT_REF_SLUG`, `CI_JOB_NAME_SLUG` and `CI_PROJECT_PATH_SLUG`: lowercased, every
 * character other than `a-z`/`0-9` replaced with `-`, cut to 63 bytes, then leading and
 * trailing `-` removed (https://docs.gitlab.com/ci/variables/predefined_variables/).
 *
 * The cut happens before the trimming, as in GitLab's `Gitlab::Utils.slugify`, so a result
 * can be shorter than 63 characters. Each non-ASCII character (a code point, after Unicode
 * lowercasing) becomes one `-`, so the result is ASCII and 63 characters are 63 bytes.
 */
export function slugify(name: string): string {
  return trimDashes(
    name
      .toLowerCase()
      .replace(/[^a-z0-9]/gu, "-")
      .slice(0, 63),
  );
}

const DASH = 0x2d;

/**
 * `text` without its leading and trailing `-`. A scan rather than `/^-+|-+$/g`, whose second
 * branch is tried at every position: every job's `CI_JOB_NAME_SLUG` goes through here.
 */
function trimDashes(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && text.charCodeAt(start) === DASH) start++;
  while (end > start && text.charCodeAt(end - 1) === DASH) end--;
  return start === 0 && end === text.length ? text : text.slice(start, end);
}

/** Longest environment slug (an OpenShift limit). */
const ENVIRONMENT_SLUG_MAX = 24;
/** Characters kept from the slugified name when a suffix is added. */
const ENVIRONMENT_SLUG_KEEP = 17;

/** The last six base-36 digits of a hex digest read as one big integer (Ruby's `to_i(16).to_s(36)`). */
export function suffixFromDigest(hex: string): string {
  return BigInt(`0x${hex}`).toString(36).slice(-6);
}

/**
 * The 6-character suffix GitLab appends to environment slugs that had to be changed or
 * shortened: the last six base-36 digits of the SHA-256 of the environment name
 * (`Gitlab::Slug::Environment#suffix`). Deterministic, not random.
 */
export function environmentSlugSuffix(name: string): string {
  return suffixFromDigest(sha256Hex(name));
}

/**
 * `CI_ENVIRONMENT_SLUG`, as GitLab's `Gitlab::Slug::Environment` generates it: lowercase
 * letters, digits and single `-`, starting with a letter (else prefixed with `env-`), at most
 * 24 characters. Whenever the slug differs from the name at all (uppercase letters, `/`, repeated
 * `-`, too long, …) it is cut to 17 characters and a hash suffix of the name is appended, so
 * that `review/a` and `review-a` get different slugs. Otherwise a trailing `-` is dropped.
 *
 * GitLab stores the slug with the environment when it is created; an environment created by
 * an older GitLab release may keep a slug made by older rules.
 */
export function environmentSlug(name: string): string {
  let slug = name.toLowerCase().replace(/[^a-z0-9]/gu, "-");
  if (!/^[a-z]/.test(slug)) slug = `env-${slug}`;
  slug = slug.replace(/-{2,}/g, "-");
  if (slug.length > ENVIRONMENT_SLUG_MAX || slug !== name) {
    let short = slug.slice(0, ENVIRONMENT_SLUG_KEEP);
    if (!short.endsWith("-")) short += "-";
    return short + environmentSlugSuffix(name);
  }
  return slug.endsWith("-") ? slug.slice(0, -1) : slug;
}
