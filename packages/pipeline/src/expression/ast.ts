import type { CompiledPattern } from "./regex.js";
import type { BinaryOperator } from "./tokens.js";

interface NodeBase {
  /** 0-based index in the expression of the token this node was built from. */
  readonly offset: number;
}

/** A node of a parsed expression. Build one with `parseExpression`. */
export type ExpressionNode =
  VariableNode | InputNode | StringNode | NullNode | BooleanNode | RegexNode | BinaryNode;

export interface VariableNode extends NodeBase {
  readonly kind: "variable";
  readonly name: string;
}

export interface InputNode extends NodeBase {
  readonly kind: "input";
  readonly name: string;
}

export interface StringNode extends NodeBase {
  readonly kind: "string";
  readonly value: string;
}

export interface NullNode extends NodeBase {
  readonly kind: "null";
}

export interface BooleanNode extends NodeBase {
  readonly kind: "boolean";
  readonly value: boolean;
}

export interface RegexNode extends NodeBase {
  readonly kind: "regex";
  /** The literal as written, e.g. `/^release-\d+/i`. */
  readonly literal: string;
  readonly pattern: CompiledPattern;
}

export interface BinaryNode extends NodeBase {
  readonly kind: "binary";
  readonly operator: BinaryOperator;
  readonly left: ExpressionNode;
  readonly right: ExpressionNode;
  /** The smallest offset of any token in this subtree. */
  readonly start: number;
}
