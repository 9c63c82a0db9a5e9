/**
 * The outcome of a job's `rules`, remembered for the other jobs with the same `rules` (the same
 * value: the instances of a parallel job, jobs that take `rules` from one template).
 *
 * What a `rules` list decides depends on the list and on what its evaluation looks up: the
 * variables `if` reads and `changes`/`exists` expand (the changed files, also those since a
 * `compare_to` ref, and the repository's files are the pipeline's). Evaluation is
 * deterministic, so if a job's lookup gives, name by name, the values that an earlier
 * evaluation of the same list looked up, in that order, evaluating again would ask the same
 * questions, get the same answers and decide the same. The planner then asks only those
 * questions, which the job's scope answers cheaply, instead of evaluating expressions, regular
 * expressions and globs once per job.
 */
import type { Lookup } from "./variables.js";

/** One evaluation: the names it looked up, in order, what it got, and what it decided. */
interface Outcome<T> {
  readonly names: readonly string[];
  readonly values: ReadonlyArray<string | undefined>;
  readonly result: T;
}

/** Outcomes kept per `rules` value: each job that matches none costs this many checks. */
const OUTCOMES_PER_RULES = 4;

/** Outcomes of `rules` values for one pipeline, keyed by the value itself (not its content). */
export class RulesMemo<T> {
  readonly #outcomes = new Map<unknown, Outcome<T>[]>();

  /**
   * `evaluate(lookup)`, or what an earlier evaluation for the same `rules` decided when `lookup`
   * gives the values it looked up. `evaluate` must read nothing but `rules` and `lookup`; when
   * it throws, nothing is remembered.
   */
  decide(rules: unknown, lookup: Lookup, evaluate: (lookup: Lookup) => T): T {
    let outcomes = this.#outcomes.get(rules);
    if (outcomes === undefined) {
      outcomes = [];
      this.#outcomes.set(rules, outcomes);
    }
    for (let i = 0; i < outcomes.length; i++) {
      const outcome = outcomes[i] as Outcome<T>;
      if (holds(outcome, lookup)) return outcome.result;
    }
    if (outcomes.length >= OUTCOMES_PER_RULES) return evaluate(lookup);

    const names: string[] = [];
    const values: Array<string | undefined> = [];
    const result = evaluate((name) => {
      const value = lookup(name);
      names.push(name);
      values.push(value);
      return value;
    });
    outcomes.push({ names, values, result });
    return result;
  }
}

/** Whether `lookup` gives every value `outcome` was decided on. */
function holds(outcome: Outcome<unknown>, lookup: Lookup): boolean {
  for (let i = 0; i < outcome.names.length; i++) {
    if (lookup(outcome.names[i] as string) !== outcome.values[i]) return false;
  }
  return true;
}
