/**
 * Which mapping keys were not strings in the YAML.
 *
 * Psych loads a key such as `1`, `true`, `~` or `1.5` as an Integer, boolean, nil or Float, and
 * GitLab's `deep_symbolize_keys` leaves such keys alone. GitLab then refuses them where it
 * needs a name: a job's name must be a Symbol (`Entry::Processable`: `validates :name, type:
 * Symbol`). The loaded objects have string keys (Ruby's `to_s` of the key), and this registry
 * keeps the Ruby class of each key that was not a String or Symbol so that validation can
 * report it as GitLab does.
 */
const classes = new WeakMap<object, Map<string, string>>();
/**
 * Whether any key class was ever recorded. Almost no configuration has a key that is not a
 * string: until one has, there is nothing to look up, forget or copy, and the loader and the
 * merges (which call these for every key) skip the lookups.
 */
let anyRecorded = false;

/** Records the Ruby class of `key`, or forgets it when the key is now a String (undefined). */
export function recordKeyClass(node: object, key: string, rubyClass: string | undefined): void {
  if (!rubyClass) {
    if (anyRecorded) classes.get(node)?.delete(key);
    return;
  }
  anyRecorded = true;
  let entries = classes.get(node);
  if (!entries) {
    entries = new Map();
    classes.set(node, entries);
  }
  entries.set(key, rubyClass);
}

/** The Ruby class (`Integer`, `TrueClass`, `NilClass`, ...) of a key that was not a string. */
export function nonStringKeyClass(node: object, key: string): string | undefined {
  return anyRecorded ? classes.get(node)?.get(key) : undefined;
}

/** Gives `to` the key class of `key` in `from` (or clears it when `from` had a string key). */
export function copyKeyClass(from: object, to: object, key: string): void {
  if (anyRecorded) recordKeyClass(to, key, classes.get(from)?.get(key));
}

/** Gives `to`, a new copy of every key of `from`, the key classes of `from`. */
export function copyKeyClasses(from: object, to: object): void {
  if (!anyRecorded) return;
  const entries = classes.get(from);
  if (!entries) return;
  for (const [key, rubyClass] of entries) {
    if (Object.hasOwn(from, key)) recordKeyClass(to, key, rubyClass);
  }
}
