/**
 * The long-poll signal: a queued job wakes the request held longest, one per job; a request
 * that cannot take what waits passes the turn to one that has not looked yet, never round in
 * circles.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { QueueSignal } from "./queue-signal.js";

function hold(signal: QueueSignal, woken: string[], name: string) {
  const seen = signal.version;
  return signal.changed(seen, 10_000).then((changed) => {
    if (changed) woken.push(name);
  });
}

test("one job wakes the oldest held request only; two jobs wake two", async () => {
  const signal = new QueueSignal();
  const woken: string[] = [];
  const held = ["a", "b", "c"].map((name) => hold(signal, woken, name));
  signal.bump();
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(woken, ["a"]);
  assert.equal(signal.held, 2);
  signal.bump(2);
  await Promise.all(held);
  assert.deepEqual(woken, ["a", "b", "c"]);
});

test("a pass goes to a request that has not looked since the change, and stops when none is left", async () => {
  const signal = new QueueSignal();
  const woken: string[] = [];
  const before = hold(signal, woken, "held-before");
  signal.bump(0);
  // This one looked at the current version already: a pass must skip it.
  const after = hold(signal, woken, "looked-already");
  assert.equal(signal.passOn(), true);
  await before;
  assert.deepEqual(woken, ["held-before"]);
  assert.equal(signal.passOn(), false);
  signal.wakeAll();
  await after;
  assert.deepEqual(woken, ["held-before", "looked-already"]);
});

test("a stale version answers at once; a hold ends unchanged after its time", async () => {
  const signal = new QueueSignal();
  assert.equal(await signal.changed("stale", 10_000), true);
  assert.equal(await signal.changed(signal.version, 5), false);
});
