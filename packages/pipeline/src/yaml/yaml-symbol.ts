/**
 * A Ruby Symbol, as Psych loads a plain scalar such as `:name` (GitLab permits the Symbol class
 * in `YAML.safe_load`). GitLab's keywords mostly reject symbols (they are not Strings), while
 * `variables` accepts them and uses `to_s`, which drops the colon.
 *
 * As a mapping key a symbol becomes its name: GitLab symbolizes every key, so `:build:` and
 * `build:` name the same job.
 */
export class YamlSymbol {
  constructor(readonly name: string) {}

  toString(): string {
    return this.name;
  }
}
