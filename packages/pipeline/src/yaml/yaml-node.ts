/**
 * The node tree of one YAML document, as the builder (`build-value.ts`) reads it. Two parsers
 * produce it: js-yaml through its `listener` (`js-yaml-tree.ts`, the fast path) and the `yaml`
 * package (`yaml-package-tree.ts`, used when js-yaml cannot load a piece, for GitLab's error).
 *
 * Offsets count UTF-16 code units from the start of the piece that was parsed. `start` is where
 * the node's content starts, after its tag and anchor: the first key of a block mapping, the
 * first `-` of a block sequence, the bracket of a flow collection, the quote of a quoted
 * scalar. An empty node (`key:` with nothing after it) is a plain scalar with empty text.
 */
export type YamlNode = ScalarNode | AliasNode | SequenceNode | MappingNode;

interface Properties {
  /** The resolved tag (`!reference`, `tag:yaml.org,2002:str`), undefined when untagged. */
  tag?: string | undefined;
  anchor?: string | undefined;
}

export type ScalarStyle = "plain" | "quoted" | "block";

export interface ScalarNode extends Properties {
  kind: "scalar";
  start: number;
  /** Where the scalar ends (a block scalar at the end of the piece loses its added newline). */
  end: number;
  /** The scalar's text after folding and escapes, before any tag applies. */
  text: string;
  style: ScalarStyle;
}

export interface AliasNode {
  kind: "alias";
  start: number;
  name: string;
}

export interface SequenceNode extends Properties {
  kind: "sequence";
  start: number;
  /** null: an item with no node at all (the builder places it at the sequence). */
  items: Array<YamlNode | null>;
}

export interface MappingNode extends Properties {
  kind: "mapping";
  start: number;
  /** Keys in order, duplicates included; null where a pair has no key node. */
  keys: Array<YamlNode | null>;
  /** The value of each key; null where a pair has no value node. */
  values: Array<YamlNode | null>;
}
