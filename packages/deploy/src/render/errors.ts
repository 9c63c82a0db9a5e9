/** The error a resource set that cannot be rendered fails with: it names the file and the spot. */

/** One thing wrong with a source file. */
export interface RenderProblem {
  file: string;
  /** 1-based line in the file, when known. */
  line?: number;
  /** 1-based YAML document index within the file, when known. */
  document?: number;
  message: string;
}

export function formatProblem(problem: RenderProblem): string {
  const where = [problem.file];
  if (problem.line !== undefined) where.push(`line ${problem.line}`);
  if (problem.document !== undefined) where.push(`document ${problem.document}`);
  return `${where.join(", ")}: ${problem.message}`;
}

export class RenderError extends Error {
  readonly problems: readonly RenderProblem[];

  constructor(problems: RenderProblem[] | string) {
    const list = typeof problems === "string" ? [] : problems;
    super(typeof problems === "string" ? problems : list.map(formatProblem).join("\n"));
    this.name = "RenderError";
    this.problems = list;
  }
}
