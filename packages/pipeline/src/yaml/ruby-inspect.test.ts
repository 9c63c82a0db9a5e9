import assert from "node:assert/strict";
import { test } from "node:test";
import { floatToS, inspectString, rubyInspect, rubyKeyString } from "./ruby-inspect.js";
import { YamlSymbol } from "./yaml-symbol.js";

test("strings inspect with Ruby's escapes", () => {
  assert.equal(inspectString('a"b\\c'), '"a\\"b\\\\c"');
  assert.equal(inspectString("#{x} #$y #@z #x"), '"\\#{x} \\#$y \\#@z #x"');
  assert.equal(inspectString("\n\t\u001b\u0001é"), '"\\n\\t\\e\\u0001é"');
});

test("floats print as Float#to_s", () => {
  assert.equal(floatToS(1), "1.0");
  assert.equal(floatToS(3.1), "3.1");
  assert.equal(floatToS(1e14), "100000000000000.0");
  assert.equal(floatToS(1e15), "1.0e+15");
  assert.equal(floatToS(1.234567890123456e15), "1.234567890123456e+15");
  assert.equal(floatToS(0.0001), "0.0001");
  assert.equal(floatToS(0.00001), "1.0e-05");
  assert.equal(floatToS(-0), "-0.0");
  assert.equal(floatToS(Number.NEGATIVE_INFINITY), "-Infinity");
});

test("values inspect as Ruby 3.3 prints them", () => {
  assert.equal(rubyInspect([".setup", "script"]), '[".setup", "script"]');
  assert.equal(rubyInspect(["a", 1, null, true]), '["a", 1, nil, true]');
  assert.equal(rubyInspect({ a: 1 }), '{"a"=>1}');
  assert.equal(rubyInspect(new YamlSymbol("b")), ":b");
  assert.equal(rubyInspect(new YamlSymbol("a b")), ':"a b"');
});

test("keys print as to_s", () => {
  assert.equal(rubyKeyString(null), "");
  assert.equal(rubyKeyString(true), "true");
  assert.equal(rubyKeyString(31), "31");
  assert.equal(rubyKeyString(new YamlSymbol("build")), "build");
});
