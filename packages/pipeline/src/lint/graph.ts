/**
 * GitLab's logical validation after the schema (`Gitlab::Ci::YamlProcessor`): stages exist,
 * `needs` and `dependencies` name jobs in the current or an earlier stage, no duplicate needs,
 * `environment:on_stop` names a stopping job of the same environment, and no `needs` cycle.
 */
import { isMap } from "../compose/deep-merge.js";
import { type Diagnostic, errorAtKey as diagnosticAt } from "../diagnostics.js";
import type { CompiledJob, CompiledPipeline } from "../plan/compile.js";
import { parseNeeds } from "../plan/needs.js";

export function checkGraph(compiled: CompiledPipeline, file: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  const stageOf = new Map<string, number>();
  const instancesOf = new Map<string, string[]>();
  for (const job of compiled.jobs) {
    instancesOf.set(job.name, job.instances.map((i) => i.name));
    for (const instance of job.instances) stageOf.set(instance.name, compiled.stages.indexOf(job.stage));
  }
  const jobByName = new Map(compiled.jobs.map((job) => [job.name, job]));
  const edges = new Map<string, string[]>();

  for (const job of compiled.jobs) {
    const def = job.definition;
    const at = (key: string) => (message: string) => diagnosticAt(message, `jobs:${job.name}:${key}`, def, key, file);
    if (!compiled.stages.includes(job.stage)) {
      out.push(
        diagnosticAt(
          `${job.name} job: chosen stage ${job.stage} does not exist; available stages are ${compiled.stages.join(", ")}`,
          `jobs:${job.name}:stage`,
          def,
          "stage",
          file,
        ),
      );
      continue;
    }
    const ownStage = compiled.stages.indexOf(job.stage);
    const check = (dependency: string, kind: "need" | "dependency", report: (m: string) => Diagnostic) => {
      if (!stageOf.has(dependency)) {
        out.push(report(`${job.name} job: undefined ${kind}: ${dependency}`));
      } else if ((stageOf.get(dependency) as number) > ownStage) {
        out.push(report(`${job.name} job: ${kind} ${dependency} is not defined in current or prior stages`));
      }
    };

    const needSets = [parseNeeds(def.needs)];
    if (Array.isArray(def.rules)) {
      for (const rule of def.rules) if (isMap(rule) && rule.needs !== undefined) needSets.push(parseNeeds(rule.needs));
    }
    const jobEdges: string[] = [];
    needSets.forEach((needs, setIndex) => {
      if (!needs) return;
      const names: string[] = [];
      for (const need of needs) {
        const expanded = need.instances ?? instancesOf.get(need.job) ?? [need.job];
        for (const name of expanded) {
          if (!stageOf.has(name) && need.optional) continue;
          check(name, "need", at("needs"));
          names.push(name);
        }
      }
      const duplicated = [...new Set(names.filter((n, i) => names.indexOf(n) !== i))];
      if (duplicated.length > 0) out.push(at("needs")(`${job.name} has the following needs duplicated: ${duplicated.join(", ")}.`));
      if (setIndex === 0) jobEdges.push(...names);
    });
    for (const instance of job.instances) edges.set(instance.name, jobEdges);

    if (Array.isArray(def.dependencies)) {
      for (const dependency of def.dependencies.map(String)) {
        for (const name of instancesOf.get(dependency) ?? [dependency]) check(name, "dependency", at("dependencies"));
      }
    }
    out.push(...checkOnStop(job, jobByName, file));
  }
  if (hasCycle(edges)) {
    out.push(diagnosticAt("The pipeline has circular dependencies", "jobs", undefined, undefined, file));
  }
  return out;
}

function checkOnStop(job: CompiledJob, jobs: Map<string, CompiledJob>, file: string): Diagnostic[] {
  const environment = job.definition.environment;
  if (!isMap(environment) || typeof environment.on_stop !== "string") return [];
  const onStop = environment.on_stop;
  const report = (message: string) => [
    diagnosticAt(`${job.name} job: ${message}`, `jobs:${job.name}:environment:on_stop`, environment, "on_stop", file),
  ];
  const stopJob = jobs.get(onStop);
  if (!stopJob) return report(`on_stop job ${onStop} is not defined`);
  const stopEnvironment = stopJob.definition.environment;
  if (stopEnvironment === undefined || stopEnvironment === null) {
    return report(`on_stop job ${onStop} does not have environment defined`);
  }
  const stopName = isMap(stopEnvironment) ? stopEnvironment.name : stopEnvironment;
  if (stopName !== environment.name) return report(`on_stop job ${onStop} have different environment name`);
  if (!isMap(stopEnvironment) || stopEnvironment.action !== "stop") {
    return report(`on_stop job ${onStop} needs to have action stop defined`);
  }
  return [];
}

/** Iterative three-colour depth-first search, so a long chain cannot overflow the stack. */
function hasCycle(edges: Map<string, string[]>): boolean {
  const state = new Map<string, 1 | 2>();
  for (const start of edges.keys()) {
    if (state.has(start)) continue;
    const stack: Array<{ node: string; next: number }> = [{ node: start, next: 0 }];
    state.set(start, 1);
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as { node: string; next: number };
      const targets = edges.get(top.node) ?? [];
      if (top.next < targets.length) {
        const target = targets[top.next++] as string;
        const seen = state.get(target);
        if (seen === 1) return true;
        if (seen === undefined && edges.has(target)) {
          state.set(target, 1);
          stack.push({ node: target, next: 0 });
        }
      } else {
        state.set(top.node, 2);
        stack.pop();
      }
    }
  }
  return false;
}
