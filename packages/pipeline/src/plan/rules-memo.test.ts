import assert from "node:assert/strict";
import { test } from "node:test";
import { RulesMemo } from "./rules-memo.js";

/** A lookup over a record that counts what it is asked. */
function variables(values: Record<string, string>): {
  lookup: (name: string) => string | undefined;
  asked: string[];
} {
  const asked: string[] = [];
  return { lookup: (name) => (asked.push(name), values[name]), asked };
}

/** Evaluates `$A == "1" ? (B) : (C)`, counting evaluations. */
function evaluator(): {
  evaluate: (lookup: (name: string) => string | undefined) => string;
  runs: () => number;
} {
  let runs = 0;
  return {
    evaluate: (lookup) => {
      runs++;
      return lookup("A") === "1" ? `b:${lookup("B")}` : `c:${lookup("C")}`;
    },
    runs: () => runs,
  };
}

test("a job whose lookups give the values an earlier evaluation saw gets its outcome unevaluated", () => {
  const memo = new RulesMemo<string>();
  const rules = [{ if: "x" }];
  const { evaluate, runs } = evaluator();
  assert.equal(memo.decide(rules, variables({ A: "1", B: "x", C: "y" }).lookup, evaluate), "b:x");
  // C differs, but the first evaluation never asked for it.
  const second = variables({ A: "1", B: "x", C: "other" });
  assert.equal(memo.decide(rules, second.lookup, evaluate), "b:x");
  assert.equal(runs(), 1);
  assert.deepEqual(second.asked, ["A", "B"]);
});

test("a different value, or different rules, is evaluated again and remembered too", () => {
  const memo = new RulesMemo<string>();
  const rules = [{ if: "x" }];
  const { evaluate, runs } = evaluator();
  assert.equal(memo.decide(rules, variables({ A: "1", B: "x" }).lookup, evaluate), "b:x");
  assert.equal(memo.decide(rules, variables({ A: "1", B: "z" }).lookup, evaluate), "b:z");
  assert.equal(memo.decide(rules, variables({ A: "2", C: "w" }).lookup, evaluate), "c:w");
  assert.equal(memo.decide([{ if: "x" }], variables({ A: "1", B: "x" }).lookup, evaluate), "b:x");
  assert.equal(runs(), 4);
  // Each of those outcomes is now known.
  assert.equal(memo.decide(rules, variables({ A: "1", B: "z" }).lookup, evaluate), "b:z");
  assert.equal(memo.decide(rules, variables({ A: "2", C: "w" }).lookup, evaluate), "c:w");
  assert.equal(runs(), 4);
});

test("an undefined variable is a value like any other", () => {
  const memo = new RulesMemo<string>();
  const rules = {};
  const { evaluate, runs } = evaluator();
  assert.equal(memo.decide(rules, variables({ A: "1" }).lookup, evaluate), "b:undefined");
  assert.equal(memo.decide(rules, variables({ A: "1", B: "" }).lookup, evaluate), "b:");
  assert.equal(runs(), 2);
});

test("an evaluation that throws is not remembered; outcomes per rules are bounded", () => {
  const memo = new RulesMemo<string>();
  const rules = ["r"];
  let runs = 0;
  const failing = () => {
    runs++;
    throw new Error("invalid expression");
  };
  assert.throws(() => memo.decide(rules, variables({}).lookup, failing), /invalid/);
  assert.throws(() => memo.decide(rules, variables({}).lookup, failing), /invalid/);
  assert.equal(runs, 2);

  const { evaluate, runs: evaluations } = evaluator();
  for (let i = 0; i < 10; i++)
    memo.decide(rules, variables({ A: "1", B: `${i}` }).lookup, evaluate);
  // The outcomes kept still answer; the others are evaluated every time.
  assert.equal(memo.decide(rules, variables({ A: "1", B: "0" }).lookup, evaluate), "b:0");
  assert.equal(memo.decide(rules, variables({ A: "1", B: "9" }).lookup, evaluate), "b:9");
  assert.equal(evaluations(), 11);
});
