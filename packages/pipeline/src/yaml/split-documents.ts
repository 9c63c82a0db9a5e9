/**
 * GitLab does not let the YAML parser see a multi-document file. `Gitlab::Ci::Config::Yaml::
 * Loader` (through `Gitlab::Config::Loader::MultiDocYaml`) splits the text with
 * `content.split(/^---\s+/, MAX_DOCUMENTS + 1)`, MAX_DOCUMENTS being 2, and parses each piece
 * on its own with `YAML.safe_load`. So:
 *
 * - a divider is `---` at the start of a line followed by white space (which it swallows,
 *   newlines and the next line's indentation included); `---b` or a final `---` with nothing
 *   after it is not one;
 * - there are at most three pieces, the last holding the rest of the file; Psych then loads
 *   only the first document of a piece, so anything after a further `---` (or `...`) is ignored;
 * - anchors do not cross pieces.
 */
export interface DocumentPiece {
  text: string;
  /** Offset of the piece in the whole text. */
  offset: number;
}

const MAX_PIECES = 3;
/** Ruby's `\s`: ASCII white space only. */
const DIVIDER = /---[ \t\n\v\f\r]+/g;

export function splitDocuments(text: string): DocumentPiece[] {
  const pieces: DocumentPiece[] = [];
  let start = 0;
  DIVIDER.lastIndex = 0;
  for (let match = DIVIDER.exec(text); match; match = DIVIDER.exec(text)) {
    if (pieces.length === MAX_PIECES - 1) break;
    const atLineStart = match.index === 0 || text.charAt(match.index - 1) === "\n";
    if (!atLineStart) {
      DIVIDER.lastIndex = match.index + 1;
      continue;
    }
    pieces.push({ text: text.slice(start, match.index), offset: start });
    start = match.index + match[0].length;
  }
  pieces.push({ text: text.slice(start), offset: start });
  return pieces;
}
