import type { SourcePosition } from "../diagnostics.js";

/**
 * 1-based line and column (in UTF-16 code units) of offsets into `text`. Lookups usually move
 * forward through the text, so the line of the previous lookup and the next one are tried first.
 */
export function lineIndex(text: string, file: string): (offset: number) => SourcePosition {
  const starts = [0];
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  // A last start past any offset saves bounds checks.
  starts.push(Infinity);
  const last = starts.length - 2;
  let line = 0;
  let start = 0;
  let next = starts[1] as number;
  return (offset) => {
    if (offset < start || offset >= next) {
      if (offset >= next && offset < (starts[line + 2] as number)) {
        line += 1;
      } else {
        let low = 0;
        let high = last;
        while (low < high) {
          const mid = (low + high + 1) >> 1;
          if ((starts[mid] as number) <= offset) low = mid;
          else high = mid - 1;
        }
        line = low;
      }
      start = starts[line] as number;
      next = starts[line + 1] as number;
    }
    return { file, line: line + 1, column: offset - start + 1 };
  };
}
