/**
 * `artifacts:` as the job payload carries it (runner protocol §3.6): one entry for the archive
 * when `paths` or `untracked` is given, one per report. Reports are always uploaded
 * (`when: always`), under GitLab's default file name and format for their type.
 * Docs: https://docs.gitlab.com/ci/yaml/#artifacts , https://docs.gitlab.com/ci/yaml/artifacts_reports/
 */
import type { ArtifactWhen, JobArtifact } from "@conveyor/protocol";
import { stringList } from "./keyword-values.js";
import { isMap } from "@conveyor/pipeline";

/**
 * Default file names and formats of report types (GitLab `Ci::JobArtifact` file names and
 * `Enums::Ci::JobArtifact` formats); a type not listed is uploaded raw.
 */
const REPORTS: Record<string, { file: string; format: "gzip" | "raw" | "zip" }> = {
  junit: { file: "junit.xml", format: "gzip" },
  dotenv: { file: ".env", format: "gzip" },
  cobertura: { file: "cobertura-coverage.xml", format: "gzip" },
  coverage_report: { file: "coverage_report.xml", format: "gzip" },
  metrics: { file: "metrics.txt", format: "gzip" },
  annotations: { file: "gl-annotations.json", format: "gzip" },
  accessibility: { file: "gl-accessibility.json", format: "raw" },
  codequality: { file: "gl-code-quality-report.json", format: "raw" },
  sast: { file: "gl-sast-report.json", format: "raw" },
  secret_detection: { file: "gl-secret-detection-report.json", format: "raw" },
  dependency_scanning: { file: "gl-dependency-scanning-report.json", format: "raw" },
  container_scanning: { file: "gl-container-scanning-report.json", format: "raw" },
  dast: { file: "gl-dast-report.json", format: "raw" },
  license_scanning: { file: "gl-license-scanning-report.json", format: "raw" },
  performance: { file: "performance.json", format: "raw" },
  browser_performance: { file: "browser-performance.json", format: "raw" },
  load_performance: { file: "load-performance.json", format: "raw" },
  terraform: { file: "tfplan.json", format: "raw" },
  requirements: { file: "requirements.json", format: "raw" },
  cyclonedx: { file: "gl-sbom.cdx.json", format: "gzip" },
  api_fuzzing: { file: "gl-api-fuzzing-report.json", format: "raw" },
  coverage_fuzzing: { file: "gl-coverage-fuzzing-report.json", format: "raw" },
  lsif: { file: "lsif.json", format: "zip" },
};

const WHEN: readonly ArtifactWhen[] = ["on_success", "on_failure", "always"];

export function artifactsOf(value: unknown, expand: (value: string) => string): JobArtifact[] {
  if (!isMap(value)) return [];
  const out: JobArtifact[] = [];
  const expireIn = typeof value.expire_in === "string" ? value.expire_in : null;
  const paths = stringList(value.paths).map(expand);
  const untracked = value.untracked === true;
  if (paths.length > 0 || untracked) {
    const when = WHEN.find((w) => w === value.when) ?? "on_success";
    const archive: JobArtifact = {
      name: typeof value.name === "string" ? expand(value.name) : "artifacts",
      untracked,
      paths,
      when,
      expire_in: expireIn,
      artifact_type: "archive",
      artifact_format: "zip",
    };
    const exclude = stringList(value.exclude).map(expand);
    if (exclude.length > 0) archive.exclude = exclude;
    out.push(archive);
  }
  if (isMap(value.reports)) {
    for (const [type, files] of Object.entries(value.reports)) {
      const report = REPORTS[type] ?? { file: type, format: "raw" as const };
      const reportPaths = isMap(files) ? stringList(files.path ?? files.paths) : stringList(files);
      out.push({
        name: report.file,
        paths: reportPaths.map(expand),
        when: "always",
        expire_in: expireIn,
        artifact_type: type,
        artifact_format: report.format,
      });
    }
  }
  return out;
}
