/**
 * GitLab's logical validation after the schema (`Gitlab::Ci::YamlProcessor`): stages exist,
 * `needs` and `dependencies` name jobs in the current or an earlier stage, no duplicate needs,
 * `environment:on_stop` names a stopping job of the same environment, and no `needs` cycle.
 */
import { isMap } from "../compose/deep-merge.js";
import { type Diagnostic, errorAtKey as diagnosticAt, errorAt } from "../diagnostics.js";
import { stronglyConnectedComponents } from "../graph/tsort.js";
import type { CompiledJob, CompiledPipeline } from "../plan/compile.js";
import { parseNeeds } from "../plan/needs.js";
import { rubyInspect } from "../ruby/inspect.js";

export function checkGraph(compiled: CompiledPipeline, file: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  const stageOf = new Map<string, number>();
  const instancesOf = new Map<string, string[]>();
  for (const job of compiled.jobs) {
    instancesOf.set(
      job.name,
      job.instances.map((i) => i.name),
    );
    for (const instance of job.instances)
      stageOf.set(instance.name, compiled.stages.indexOf(job.stage));
  }
  const jobByName = new Map(compiled.jobs.map((job) => [job.name, job]));
  const edges = new Map<string, string[]>();

  for (const job of compiled.jobs) {
    const def = job.definition;
    const itemAt = (list: unknown, index: number, inFile: string) => (message: string) =>
      diagnosticAt(
        message,
        `jobs:${job.name}`,
        Array.isArray(list) ? list : def,
        Array.isArray(list) ? index : "needs",
        inFile,
      );
    if (!compiled.stages.includes(job.stage)) {
      const message = `${job.name} job: chosen stage ${job.stage} does not exist; available stages are ${compiled.stages.join(", ")}`;
      out.push(
        def.stage === undefined
          ? errorAt(message, `jobs:${job.name}:stage`, job.position, file)
          : diagnosticAt(message, `jobs:${job.name}:stage`, def, "stage", file),
      );
      continue;
    }
    const ownStage = compiled.stages.indexOf(job.stage);
    const check = (
      dependency: string,
      kind: "need" | "dependency",
      report: (m: string) => Diagnostic,
    ) => {
      if (!stageOf.has(dependency)) {
        out.push(report(`${job.name} job: undefined ${kind}: ${dependency}`));
      } else if ((stageOf.get(dependency) as number) > ownStage) {
        out.push(
          report(
            `${job.name} job: ${kind} ${dependency} is not defined in current or prior stages`,
          ),
        );
      }
    };

    const needLists: unknown[] = [def.needs];
    if (Array.isArray(def.rules)) {
      for (const rule of def.rules)
        if (isMap(rule) && rule.needs !== undefined) needLists.push(rule.needs);
    }
    const jobEdges: string[] = [];
    needLists.forEach((list, listIndex) => {
      const needs = parseNeeds(list);
      if (!needs) return;
      const names: string[] = [];
      const firstAt = new Map<string, number>();
      needs.forEach((need, i) => {
        const item = itemAt(list, i, file);
        const expanded = need.instances ?? instancesOf.get(need.job) ?? [need.job];
        for (const name of expanded) {
          if (!stageOf.has(name) && need.optional) continue;
          check(name, "need", item);
          if (firstAt.has(name)) {
            out.push(item(`${job.name} has the following needs duplicated: ${name}.`));
          } else {
            firstAt.set(name, i);
          }
          names.push(name);
        }
      });
      if (listIndex === 0) jobEdges.push(...names);
    });
    for (const instance of job.instances) edges.set(instance.name, jobEdges);

    if (Array.isArray(def.dependencies)) {
      def.dependencies.forEach((dependency, i) => {
        const item = itemAt(def.dependencies, i, file);
        for (const name of instancesOf.get(String(dependency)) ?? [String(dependency)])
          check(name, "dependency", item);
      });
    }
    out.push(...checkOnStop(job, jobByName, file));
  }
  const cycle = findNeedsCycle(edges);
  if (cycle) {
    const message = `The pipeline has circular dependencies: ${cycle.message}`;
    const job =
      cycle.job === undefined
        ? undefined
        : compiled.jobs.find((j) => j.instances.some((i) => i.name === cycle.job));
    const needs = job?.definition.needs;
    const index = Array.isArray(needs)
      ? needs.findIndex((n) => (isMap(n) ? n.job : n) === job?.name)
      : -1;
    out.push(
      index >= 0
        ? diagnosticAt(message, "jobs", needs, index, file)
        : diagnosticAt(message, "jobs", undefined, undefined, file),
    );
  }
  return out;
}

function checkOnStop(job: CompiledJob, jobs: Map<string, CompiledJob>, file: string): Diagnostic[] {
  const environment = job.definition.environment;
  if (!isMap(environment) || typeof environment.on_stop !== "string") return [];
  const onStop = environment.on_stop;
  const report = (message: string) => [
    diagnosticAt(
      `${job.name} job: ${message}`,
      `jobs:${job.name}:environment:on_stop`,
      environment,
      "on_stop",
      file,
    ),
  ];
  const stopJob = jobs.get(onStop);
  if (!stopJob) return report(`on_stop job ${onStop} is not defined`);
  const stopEnvironment = stopJob.definition.environment;
  if (stopEnvironment === undefined || stopEnvironment === null) {
    return report(`on_stop job ${onStop} does not have environment defined`);
  }
  const stopName = isMap(stopEnvironment) ? stopEnvironment.name : stopEnvironment;
  if (stopName !== environment.name)
    return report(`on_stop job ${onStop} have different environment name`);
  if (!isMap(stopEnvironment) || stopEnvironment.action !== "stop") {
    return report(`on_stop job ${onStop} needs to have action stop defined`);
  }
  return [];
}

/**
 * GitLab's `YamlProcessor::Dag.check_circular_dependencies!`: Ruby's `tsort` over the jobs'
 * `needs`, failing on a job that needs itself (`self-dependency: name`) or on the first
 * component of several jobs (`topological sort failed: ["a", "b"]`), whichever Ruby meets first.
 */
function findNeedsCycle(
  edges: Map<string, string[]>,
): { message: string; job?: string } | undefined {
  const names = [...edges.keys()];
  const index = new Map(names.map((name, i) => [name, i]));
  let selfDependency: string | undefined;
  const components = stronglyConnectedComponents(names.length, (node) => {
    const name = names[node] as string;
    const targets = edges.get(name) ?? [];
    if (selfDependency === undefined && targets.includes(name)) selfDependency = name;
    return targets.flatMap((target) => (index.has(target) ? [index.get(target) as number] : []));
  });
  if (selfDependency !== undefined)
    return { message: `self-dependency: ${selfDependency}`, job: selfDependency };
  const cyclic = components.find((component) => component.length > 1);
  return cyclic
    ? { message: `topological sort failed: ${rubyInspect(cyclic.map((node) => names[node]))}` }
    : undefined;
}
