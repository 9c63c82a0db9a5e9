import assert from "node:assert/strict";
import { test } from "node:test";
import { YamlSymbol } from "../yaml/yaml-symbol.js";
import {
  floatToS,
  inspectString,
  rubyInspect,
  rubyInspectSymbolKeys,
  rubyToS,
  rubyToSSymbolKeys,
} from "./inspect.js";

test("strings inspect with Ruby's escapes", () => {
  assert.equal(inspectString('a"b\\c'), '"a\\"b\\\\c"');
  assert.equal(inspectString("#{x} #$y #@z #x"), '"\\#{x} \\#$y \\#@z #x"');
  assert.equal(inspectString("\n\t\u001b\u0001é"), '"\\n\\t\\e\\u0001é"');
  assert.equal(inspectString("\u0007\b\f\v\u007f"), '"\\a\\b\\f\\v\\u007F"');
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
  assert.equal(rubyToS(null), "");
  assert.equal(rubyToS(true), "true");
  assert.equal(rubyToS(31), "31");
  assert.equal(rubyToS(new YamlSymbol("build")), "build");
});

test("symbolized configuration inspects with Ruby 3.4 symbol keys; the rest as Psych data", () => {
  const value = { if: "$A", "a-b": [1.5, null], nested: { x: new YamlSymbol("y") } };
  assert.equal(rubyInspectSymbolKeys(value), '{if: "$A", "a-b": [1.5, nil], nested: {x: :y}}');
  assert.equal(rubyInspect(value), '{"if"=>"$A", "a-b"=>[1.5, nil], "nested"=>{"x"=>:y}}');
  assert.equal(rubyToSSymbolKeys(["a", 1, true, null]), rubyToS(["a", 1, true, null]));
  assert.equal(rubyToSSymbolKeys("text"), "text");
});
