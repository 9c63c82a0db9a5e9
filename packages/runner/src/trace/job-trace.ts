/**
 * The job log as the runner writes it: every byte (the runner's own lines and the executor's
 * output) passes one streaming masker before it reaches the TraceSink, and stages are wrapped in
 * collapsible sections stamped by the injected clock. Pure apart from the sink it writes to.
 */
import type { TraceSink } from "../ports.js";
import {
  errorText,
  infoLine,
  plainLine,
  sectionEnd,
  sectionStart,
  stageHeader,
  warningText,
} from "./log-format.js";
import { StreamMasker } from "./masker.js";

export interface JobTraceOptions {
  sink: TraceSink;
  /** Masked variable values, the job token and other secrets. */
  phrases: readonly string[];
  /** Token prefixes to mask; GitLab's defaults when omitted. */
  tokenPrefixes?: readonly string[];
  /** Milliseconds since the epoch. */
  clock: () => number;
  /** `features.trace_sections`: write section markers. */
  sections: boolean;
}

export class JobTrace {
  private readonly masker: StreamMasker;
  private readonly sink: TraceSink;
  private readonly clock: () => number;
  private readonly sections: boolean;
  private ended = false;

  constructor(options: JobTraceOptions) {
    this.masker =
      options.tokenPrefixes === undefined
        ? new StreamMasker(options.phrases)
        : new StreamMasker(options.phrases, options.tokenPrefixes);
    this.sink = options.sink;
    this.clock = options.clock;
    this.sections = options.sections;
  }

  /** Hides more values from now on (secrets known only later in the job). */
  addSecrets(phrases: readonly string[]): void {
    this.masker.addPhrases(phrases);
  }

  /** Raw bytes (a step's output). */
  write(chunk: Uint8Array | string): void {
    if (this.ended) return;
    const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    const safe = this.masker.write(bytes);
    if (safe.length > 0) this.sink.write(safe);
  }

  /** A plain runner line. */
  line(text: string): void {
    this.write(plainLine(text));
  }

  /** A green line. */
  info(text: string): void {
    this.write(infoLine(text));
  }

  warning(text: string): void {
    this.write(warningText(text));
  }

  error(text: string): void {
    this.write(errorText(text));
  }

  /** Opens a section with its bold cyan header. */
  startSection(name: string, header: string): void {
    if (this.sections) this.write(sectionStart(this.unixNow(), name));
    this.write(stageHeader(header));
  }

  endSection(name: string): void {
    if (this.sections) this.write(sectionEnd(this.unixNow(), name));
  }

  /** Runs `body` inside a section; the section ends however the body ends. */
  async section<T>(name: string, header: string, body: () => Promise<T>): Promise<T> {
    this.startSection(name, header);
    try {
      return await body();
    } finally {
      this.endSection(name);
    }
  }

  /** Flushes what the masker held back; later writes are dropped. */
  end(): void {
    if (this.ended) return;
    const rest = this.masker.end();
    if (rest.length > 0) this.sink.write(rest);
    this.ended = true;
  }

  private unixNow(): number {
    return Math.floor(this.clock() / 1000);
  }
}
