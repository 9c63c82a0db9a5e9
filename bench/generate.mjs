#!/usr/bin/env node
/**
 * Writes a deterministic, realistic `.gitlab-ci.yml` pipeline of N job instances (default
 * 1,000) into a fresh git repository, for the planning benchmark (bench/plan.mjs).
 *
 * The same seed and job count always give byte-identical files and the same commit: every
 * random choice comes from a small seeded PRNG, and the commit has fixed dates and author.
 *
 * What the pipeline uses: 8 `stages`; a main file plus local includes (explicit, with a leading
 * slash, nested, and a `*` wildcard over one file per service); `default`; global variables
 * (plain and `value`/`description` form) and job variables; multi-level hidden templates joined
 * by `extends` (single and lists); `!reference`; `rules` with `if` (`==`, `!=`, `=~`, `&&`,
 * `||`), `changes`, `exists`, `when: manual` and `when: never`; `needs` (acyclic, only to
 * earlier stages); `parallel: N` and `parallel: matrix`. Parallel instances count toward N.
 *
 * CLI: node bench/generate.mjs [--jobs N] [--seed S] [--out DIR]   (prints the directory)
 */
import { fileURLToPath } from "node:url";
import { writeGitRepository } from "./lib/repository.mjs";

export const STAGES = [
  "prepare",
  "build",
  "test",
  "quality",
  "package",
  "integration",
  "deploy",
  "verify",
];

const SERVICE_NAMES = [
  "api",
  "web",
  "worker",
  "auth",
  "billing",
  "search",
  "notify",
  "gateway",
  "catalog",
  "orders",
  "payments",
  "inventory",
  "shipping",
  "reports",
  "media",
  "profile",
  "ledger",
  "pricing",
  "reviews",
  "feeds",
  "audit",
  "mailer",
  "scheduler",
  "export",
  "import",
  "metrics",
  "tracing",
  "config",
  "session",
  "cart",
];

const LANGUAGES = {
  node: { image: "node:20-bookworm", manifest: "package.json", source: "src/index.js" },
  go: { image: "golang:1.22", manifest: "go.mod", source: "cmd/main.go" },
  python: { image: "python:3.12-slim", manifest: "pyproject.toml", source: "app/main.py" },
  java: { image: "eclipse-temurin:21-jdk", manifest: "pom.xml", source: "src/Main.java" },
};

/** A tiny seeded PRNG (32-bit xorshift, with the seed scrambled first). */
export function prng(seed) {
  let state = (Math.imul(seed >>> 0 || 1, 0x9e3779b1) ^ 0x5bd1e995) >>> 0 || 1;
  const next = () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 0x100000000;
  };
  return {
    next,
    /** An integer in [lo, hi]. */
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (items) => items[Math.floor(next() * items.length)],
    chance: (p) => next() < p,
  };
}

// ---------------------------------------------------------------------------------------------
// A small YAML writer: maps, lists, strings, numbers, booleans and `!reference` tags.

const REF = Symbol("reference");
const ref = (...path) => ({ [REF]: path });

const PLAIN = /^[A-Za-z0-9_./-][A-Za-z0-9_./: -]*$/;
const RESERVED = /^(true|false|yes|no|on|off|null|y|n|~|[-+]?[0-9.]+(e[-+]?[0-9]+)?)$/i;

function scalar(value) {
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  const text = String(value);
  if (PLAIN.test(text) && !RESERVED.test(text) && !/: |:$| $|^-/.test(text)) return text;
  if (!/['\n]/.test(text)) return `'${text}'`;
  return JSON.stringify(text);
}

function key(name) {
  return scalar(name);
}

function isFlat(list) {
  return list.every((item) => typeof item !== "object" || item === null);
}

function emit(value, indent, out) {
  const pad = " ".repeat(indent);
  if (Array.isArray(value)) {
    for (const item of value) {
      if (item !== null && typeof item === "object" && !(REF in item) && !Array.isArray(item)) {
        const lines = [];
        emit(item, indent + 2, lines);
        out.push(`${pad}- ${lines[0].trimStart()}`, ...lines.slice(1));
      } else if (Array.isArray(item)) {
        out.push(`${pad}- [${item.map(scalar).join(", ")}]`);
      } else {
        out.push(`${pad}- ${inline(item)}`);
      }
    }
    return;
  }
  for (const [name, item] of Object.entries(value)) {
    if (item !== null && typeof item === "object" && REF in item) {
      out.push(`${pad}${key(name)}: ${inline(item)}`);
    } else if (Array.isArray(item)) {
      if (item.length === 0) out.push(`${pad}${key(name)}: []`);
      else if (isFlat(item) && item.length <= 4 && item.every((s) => String(s).length < 24)) {
        out.push(`${pad}${key(name)}: [${item.map(scalar).join(", ")}]`);
      } else {
        out.push(`${pad}${key(name)}:`);
        emit(item, indent + 2, out);
      }
    } else if (item !== null && typeof item === "object") {
      out.push(`${pad}${key(name)}:`);
      emit(item, indent + 2, out);
    } else {
      out.push(`${pad}${key(name)}: ${scalar(item)}`);
    }
  }
}

function inline(value) {
  if (value !== null && typeof value === "object" && REF in value) {
    return `!reference [${value[REF].map(scalar).join(", ")}]`;
  }
  return scalar(value);
}

function yamlDocument(header, blocks) {
  const out = header ? [header, ""] : [];
  for (const block of blocks) {
    emit(block, 0, out);
    out.push("");
  }
  return `${out.join("\n").trimEnd()}\n`;
}

// ---------------------------------------------------------------------------------------------
// The pipeline model.

/**
 * Rule sets a job can carry, with whether the job is in a push pipeline of `main` (the
 * benchmark's event) and how: "on_success", "manual" or "never".
 */
function ruleSets(svc, lang) {
  const missing = lang === "go" ? "Cargo.toml" : "go.mod";
  const manifest = LANGUAGES[lang].manifest;
  return [
    { weight: 30, onMain: "on_success", extends: ".rules:default" },
    { weight: 20, onMain: "on_success", extends: `.rules:${svc}` },
    {
      weight: 10,
      onMain: "on_success",
      rules: [
        { if: '$CI_PIPELINE_SOURCE == "merge_request_event"', changes: [`services/${svc}/**/*`] },
        { if: "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH || $CI_COMMIT_TAG" },
      ],
    },
    {
      weight: 8,
      onMain: "on_success",
      rules: [{ changes: { paths: [`services/${svc}/**/*`, "ci/**/*.yml"] } }],
    },
    {
      weight: 8,
      onMain: "on_success",
      rules: [{ exists: [`services/${svc}/${manifest}`] }, { when: "never" }],
    },
    {
      weight: 2,
      onMain: "never",
      rules: [{ exists: [`services/${svc}/${missing}`] }],
    },
    {
      weight: 6,
      onMain: "manual",
      rules: [
        { if: "$CI_COMMIT_BRANCH =~ /^release\\/.+$/", when: "on_success" },
        { if: "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH", when: "manual", allow_failure: true },
      ],
    },
    {
      weight: 6,
      onMain: "on_success",
      rules: [
        { if: `$SERVICE_LANG == "${lang}" && $CI_COMMIT_REF_NAME =~ /^(main|develop)$/` },
        { when: "never" },
      ],
    },
    {
      weight: 2,
      onMain: "never",
      rules: [{ if: '$NIGHTLY == "true" && $CI_PIPELINE_SOURCE == "schedule"' }],
    },
    {
      weight: 2,
      onMain: "never",
      rules: [{ if: "$CI_COMMIT_TAG =~ /^v[0-9]+[.][0-9]+[.][0-9]+$/" }],
    },
    {
      weight: 6,
      onMain: "on_success",
      rules: [
        { if: '$SKIP_HEAVY == "true"', when: "never" },
        { if: `$CI_PROJECT_PATH == "bench/monorepo" || $FORCE_${svc.toUpperCase()}` },
      ],
    },
  ];
}

function pickWeighted(rand, items) {
  const total = items.reduce((sum, item) => sum + item.weight, 0);
  let roll = rand.next() * total;
  for (const item of items) {
    roll -= item.weight;
    if (roll < 0) return item;
  }
  return items[items.length - 1];
}

/** The kinds of job a service has, in order; past the end, extra suites repeat. */
const KINDS = [
  { stage: 0, name: (s) => `deps:${s}`, tmpl: "deps" },
  { stage: 1, name: (s) => `build:${s}`, tmpl: "build", anchor: true },
  { stage: 2, name: (s) => `test:${s}:unit`, tmpl: "test", parallel: "n" },
  { stage: 3, name: (s) => `lint:${s}`, tmpl: "lint" },
  { stage: 2, name: (s) => `test:${s}:matrix`, tmpl: "test", parallel: "matrix" },
  { stage: 4, name: (s) => `image:${s}`, tmpl: "image", anchor: true },
  { stage: 3, name: (s) => `sast:${s}`, tmpl: "lint" },
  { stage: 5, name: (s) => `it:${s}:smoke`, tmpl: "it" },
  { stage: 6, name: (s) => `deploy:${s}:staging`, tmpl: "deploy", env: "staging" },
  { stage: 7, name: (s) => `verify:${s}:staging`, tmpl: "verify", env: "staging" },
  { stage: 6, name: (s) => `deploy:${s}:production`, tmpl: "deploy", env: "production" },
  { stage: 1, name: (s) => `build:${s}:docs`, tmpl: "build" },
  { stage: 3, name: (s) => `coverage:${s}`, tmpl: "lint" },
  { stage: 4, name: (s) => `chart:${s}`, tmpl: "image" },
  { stage: 7, name: (s) => `verify:${s}:production`, tmpl: "verify", env: "production" },
];
const EXTRA = [
  { stage: 2, name: (s, i) => `test:${s}:suite-${i}`, tmpl: "test" },
  { stage: 5, name: (s, i) => `it:${s}:case-${i}`, tmpl: "it" },
  { stage: 3, name: (s, i) => `check:${s}:rule-${i}`, tmpl: "lint" },
  { stage: 2, name: (s, i) => `test:${s}:e2e-${i}`, tmpl: "test", parallel: "n" },
];

/**
 * Generates the files (path → text) of a pipeline with exactly `jobs` job instances.
 * Returns the files and a summary (instances, defined jobs, instances expected on `main`).
 */
export function generatePipeline({ jobs = 1000, seed = 20240611 } = {}) {
  if (!Number.isInteger(jobs) || jobs < 20)
    throw new Error(`--jobs must be an integer >= 20 (got ${jobs})`);
  const rand = prng(seed);
  const serviceCount = Math.min(SERVICE_NAMES.length, Math.max(2, Math.round(jobs / 40)));
  const services = SERVICE_NAMES.slice(0, serviceCount).map((name) => ({
    name,
    lang: rand.pick(Object.keys(LANGUAGES)),
    specs: [],
    next: 0,
  }));

  // 1. Job specs, round-robin over services, until exactly `jobs` instances.
  const all = [];
  let instances = 0;
  let turn = 0;
  while (instances < jobs) {
    const svc = services[turn % services.length];
    turn++;
    const index = svc.next++;
    const kind = index < KINDS.length ? KINDS[index] : EXTRA[(index - KINDS.length) % EXTRA.length];
    const name =
      index < KINDS.length
        ? kind.name(svc.name)
        : kind.name(svc.name, Math.floor((index - KINDS.length) / EXTRA.length) + 1);
    const left = jobs - instances;
    let parallel;
    let count = 1;
    if (kind.parallel === "n" && left >= 2 && rand.chance(0.3)) {
      const n = Math.min(left, rand.int(2, 6));
      if (n >= 2) {
        parallel = n;
        count = n;
      }
    } else if (kind.parallel === "matrix" && left >= 4 && rand.chance(0.5)) {
      const versions = {
        node: ["18", "20", "22"],
        go: ["1.21", "1.22"],
        python: ["3.11", "3.12", "3.13"],
        java: ["17", "21"],
      }[svc.lang];
      const dbs = rand.chance(0.5) ? ["postgres", "mysql"] : ["postgres"];
      const entries = [{ RUNTIME_VERSION: versions, DATABASE: dbs }];
      if (rand.chance(0.5)) entries.push({ RUNTIME_VERSION: "edge", DATABASE: "sqlite" });
      const total = entries.reduce(
        (sum, e) =>
          sum + Object.values(e).reduce((p, v) => p * (Array.isArray(v) ? v.length : 1), 1),
        0,
      );
      if (total <= left) {
        parallel = { matrix: entries };
        count = total;
      }
    }
    const rules = pickWeighted(rand, ruleSets(svc.name, svc.lang));
    const spec = { svc, kind, name, stage: kind.stage, parallel, count, rules, needs: undefined };
    // Jobs that others may need: present on main, not manual, one instance.
    if (kind.anchor) spec.rules = ruleSets(svc.name, svc.lang)[0];
    svc.specs.push(spec);
    all.push(spec);
    instances += count;
  }

  // 2. needs: only to earlier stages, only to jobs that are in the pipeline on main.
  const needable = all.filter((s) => s.rules.onMain === "on_success" && s.count === 1);
  for (const spec of all) {
    if (spec.stage === 0) continue;
    const roll = rand.next();
    if (roll < 0.05) {
      spec.needs = [];
      continue;
    }
    if (roll > 0.45) continue;
    const own = needable.filter((s) => s.stage < spec.stage && s.svc === spec.svc);
    const any = needable.filter((s) => s.stage < spec.stage);
    const pool = own.length > 0 && rand.chance(0.8) ? own : any;
    if (pool.length === 0) continue;
    const chosen = new Set();
    const want = rand.int(1, 3);
    for (let i = 0; i < want; i++) chosen.add(rand.pick(pool).name);
    spec.needs = [...chosen].map((name, i) =>
      i === 1 && rand.chance(0.5) ? { job: name, artifacts: false } : name,
    );
  }

  // 3. Files.
  const files = new Map();
  files.set(".gitlab-ci.yml", mainFile(services));
  files.set("ci/templates/base.yml", baseTemplates());
  files.set("ci/templates/rules.yml", rulesTemplates(services));
  files.set("ci/templates/languages.yml", languageTemplates());
  const deploy = [];
  for (const svc of services) {
    const local = svc.specs.filter((s) => s.kind.tmpl !== "deploy" && s.kind.tmpl !== "verify");
    files.set(`ci/jobs/${svc.name}.yml`, serviceFile(svc, local, rand));
    deploy.push(...svc.specs.filter((s) => s.kind.tmpl === "deploy" || s.kind.tmpl === "verify"));
  }
  files.set("ci/deploy.yml", deployFile(deploy, rand));
  for (const svc of services) {
    const lang = LANGUAGES[svc.lang];
    files.set(`services/${svc.name}/${lang.manifest}`, `# ${svc.name} (${svc.lang}) manifest\n`);
    files.set(`services/${svc.name}/${lang.source}`, `// ${svc.name} entry point\n`);
    files.set(`services/${svc.name}/Dockerfile`, `FROM ${lang.image}\nCOPY . /app\n`);
    files.set(`services/${svc.name}/README.md`, `# ${svc.name}\n`);
  }
  files.set("README.md", "# bench/monorepo\n\nGenerated by Conveyor's planning benchmark.\n");
  files.set(".gitignore", ".gitlab-ci-local/\n");

  const onMain = all.filter((s) => s.rules.onMain !== "never").reduce((n, s) => n + s.count, 0);
  return {
    files,
    summary: {
      seed,
      instances,
      definedJobs: all.length,
      expectedOnMain: onMain,
      parallelJobs: all.filter((s) => typeof s.parallel === "number").length,
      matrixJobs: all.filter((s) => typeof s.parallel === "object").length,
      services: services.length,
      files: files.size,
    },
  };
}

function mainFile(services) {
  const header = [
    "# Generated by Conveyor's planning benchmark (bench/generate.mjs); do not edit.",
    "# A monorepo of services, each with its own job file under ci/jobs/.",
  ].join("\n");
  return yamlDocument(header, [
    {
      workflow: {
        name: "Pipeline for $CI_COMMIT_REF_NAME",
        rules: [
          { if: "$CI_COMMIT_MESSAGE =~ /\\[skip pipeline\\]/", when: "never" },
          { if: '$CI_PIPELINE_SOURCE == "merge_request_event"' },
          { if: "$CI_COMMIT_BRANCH" },
          { if: "$CI_COMMIT_TAG" },
        ],
      },
    },
    { stages: STAGES },
    {
      include: [
        { local: "ci/templates/base.yml" },
        { local: "/ci/templates/languages.yml" },
        { local: "ci/jobs/*.yml" },
        "ci/deploy.yml",
      ],
    },
    {
      variables: {
        GIT_DEPTH: "20",
        DOCKER_DRIVER: "overlay2",
        REGISTRY: "registry.example.test/bench",
        IMAGE_TAG: "$CI_COMMIT_SHORT_SHA",
        NIGHTLY: "false",
        SKIP_HEAVY: "false",
        DEPLOY_TIMEOUT: { value: "600", description: "Seconds a rollout may take" },
        SERVICES: services.map((s) => s.name).join(","),
      },
    },
    {
      default: {
        image: "alpine:3.20",
        tags: ["docker", "linux"],
        interruptible: true,
        retry: { max: 2, when: ["runner_system_failure", "stuck_or_timeout_failure"] },
        before_script: ['echo "job $CI_JOB_NAME on $CI_COMMIT_REF_NAME"'],
      },
    },
  ]);
}

function baseTemplates() {
  return yamlDocument("# Base job templates.", [
    { include: [{ local: "ci/templates/rules.yml" }] },
    {
      ".scripts": {
        setup: ["export PATH=$CI_PROJECT_DIR/bin:$PATH", "mkdir -p .cache reports"],
        report: ['echo "done: $CI_JOB_NAME"'],
      },
    },
    {
      ".base": {
        variables: { JOB_KIND: "generic", LOG_LEVEL: "info" },
        before_script: [ref(".scripts", "setup")],
        after_script: [ref(".scripts", "report")],
        timeout: "30m",
      },
    },
    {
      ".with-cache": {
        extends: ".base",
        cache: {
          key: "$CI_JOB_NAME_SLUG-$CI_COMMIT_REF_SLUG",
          paths: [".cache/"],
          policy: "pull-push",
        },
      },
    },
    {
      ".with-artifacts": {
        artifacts: {
          when: "always",
          expire_in: "1 week",
          paths: ["reports/"],
        },
      },
    },
  ]);
}

function rulesTemplates(services) {
  const blocks = [
    {
      ".rules:default": {
        rules: [
          { if: '$CI_PIPELINE_SOURCE == "schedule" && $NIGHTLY != "true"', when: "never" },
          {
            if: '$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH || $CI_PIPELINE_SOURCE == "merge_request_event"',
          },
          { if: "$CI_COMMIT_TAG =~ /^v[0-9]+/" },
        ],
      },
    },
  ];
  for (const svc of services) {
    const upper = svc.name.toUpperCase();
    blocks.push({
      [`.rules:${svc.name}`]: {
        rules: [
          { if: `$SKIP_${upper} == "true"`, when: "never" },
          {
            if: '$CI_COMMIT_BRANCH =~ /^(main|release\\/.+)$/ && $CI_PIPELINE_SOURCE != "schedule"',
          },
          { changes: [`services/${svc.name}/**/*`, `ci/jobs/${svc.name}.yml`] },
        ],
      },
    });
  }
  return yamlDocument("# Shared rules.", blocks);
}

function languageTemplates() {
  const blocks = [];
  for (const [lang, info] of Object.entries(LANGUAGES)) {
    blocks.push({
      [`.${lang}`]: {
        extends: ".with-cache",
        image: info.image,
        variables: { SERVICE_LANG: lang, JOB_KIND: lang },
      },
    });
    blocks.push({
      [`.${lang}:deps`]: { extends: `.${lang}`, script: [`echo install ${lang} deps`] },
    });
    blocks.push({
      [`.${lang}:build`]: {
        extends: [`.${lang}`, ".with-artifacts"],
        script: [`echo build with ${lang}`, "echo artifact > reports/build.txt"],
      },
    });
    blocks.push({
      [`.${lang}:test`]: {
        extends: `.${lang}:build`,
        script: [`echo test with ${lang}`],
        coverage: "/Coverage: \\d+\\.\\d+%/",
        artifacts: { reports: { junit: "reports/junit.xml" } },
      },
    });
    blocks.push({
      [`.${lang}:lint`]: {
        extends: `.${lang}`,
        allow_failure: true,
        script: [`echo lint ${lang}`],
      },
    });
  }
  blocks.push({
    ".docker": {
      extends: ".base",
      image: "docker:27",
      services: ["docker:27-dind"],
      variables: { DOCKER_TLS_CERTDIR: "/certs" },
    },
  });
  blocks.push({
    ".image": {
      extends: [".docker", ".with-artifacts"],
      script: ["docker build -t $REGISTRY/$SERVICE:$IMAGE_TAG services/$SERVICE"],
    },
  });
  blocks.push({
    ".it": {
      extends: ".base",
      image: "curlimages/curl:8.8.0",
      services: [{ name: "postgres:16", alias: "db" }],
      variables: { POSTGRES_PASSWORD: "bench" },
      script: ["echo run integration suite"],
    },
  });
  return yamlDocument(
    "# Per-language templates: .base → .with-cache → .LANG → .LANG:KIND.",
    blocks,
  );
}

function templateFor(spec) {
  const lang = spec.svc.lang;
  switch (spec.kind.tmpl) {
    case "deps":
      return `.${lang}:deps`;
    case "build":
      return `.${lang}:build`;
    case "test":
      return `.${lang}:test`;
    case "lint":
      return `.${lang}:lint`;
    case "image":
      return ".image";
    case "it":
      return ".it";
    default:
      return ".deploy";
  }
}

function jobBody(spec, rand) {
  const job = { stage: STAGES[spec.stage] };
  const extendsList = [templateFor(spec)];
  if (spec.rules.extends) extendsList.push(spec.rules.extends);
  job.extends = extendsList.length === 1 ? extendsList[0] : extendsList;
  const variables = { SERVICE: spec.svc.name };
  // Language templates set SERVICE_LANG (inherited through extends); the others get it here.
  if (!["deps", "build", "test", "lint"].includes(spec.kind.tmpl))
    variables.SERVICE_LANG = spec.svc.lang;
  if (rand.chance(0.4)) variables.SERVICE_DIR = `services/${spec.svc.name}`;
  if (rand.chance(0.2)) variables.LOG_LEVEL = "debug";
  job.variables = variables;
  if (spec.rules.rules) job.rules = spec.rules.rules;
  if (typeof spec.parallel === "number") job.parallel = spec.parallel;
  else if (spec.parallel) job.parallel = spec.parallel;
  if (spec.needs !== undefined) job.needs = spec.needs;
  if (spec.kind.tmpl === "test" || spec.kind.tmpl === "it") {
    job.script = [
      `cd services/${spec.svc.name}`,
      `echo "running ${spec.name}"`,
      ...(spec.parallel ? ['echo "shard $CI_NODE_INDEX of $CI_NODE_TOTAL"'] : []),
    ];
  }
  if (rand.chance(0.1)) job.timeout = `${rand.int(10, 90)}m`;
  return job;
}

function serviceFile(svc, specs, rand) {
  const blocks = specs.map((spec) => ({ [spec.name]: jobBody(spec, rand) }));
  return yamlDocument(`# Jobs of service ${svc.name} (${svc.lang}).`, blocks);
}

function deployFile(specs, rand) {
  const blocks = [
    {
      ".deploy": {
        extends: ".base",
        image: "bitnami/kubectl:1.30",
        resource_group: "deploy-$SERVICE-$DEPLOY_ENV",
        variables: { KUBE_NAMESPACE: "$SERVICE-$DEPLOY_ENV" },
        script: ["kubectl apply -f services/$SERVICE/k8s --namespace $KUBE_NAMESPACE"],
      },
    },
    {
      ".deploy:production": {
        extends: ".deploy",
        variables: { DEPLOY_ENV: "production", REPLICAS: "3" },
      },
    },
    {
      ".deploy:staging": {
        extends: ".deploy",
        variables: { DEPLOY_ENV: "staging", REPLICAS: "1" },
      },
    },
  ];
  for (const spec of specs) {
    const job = jobBody(spec, rand);
    job.extends = [
      `.deploy:${spec.kind.env}`,
      ...(Array.isArray(job.extends) ? job.extends.slice(1) : []),
    ];
    if (job.extends.length === 1) job.extends = job.extends[0];
    job.environment = { name: `${spec.kind.env}/${spec.svc.name}` };
    if (spec.kind.tmpl === "verify")
      job.script = ["curl -fsS https://$SERVICE.$DEPLOY_ENV.example.test/health"];
    blocks.push({ [spec.name]: job });
  }
  return yamlDocument("# Deployments and their checks.", blocks);
}

// ---------------------------------------------------------------------------------------------
// Writing the repository.

/**
 * Writes the pipeline into `dir` (a new temp dir when omitted) as a git repository with one
 * commit on `main`, an `origin` remote and `origin/HEAD` → `origin/main` (so both tools agree
 * on the project path and the default branch without any network).
 */
export function writeRepository({ jobs = 1000, seed, dir } = {}) {
  const { files, summary } = generatePipeline({ jobs, seed });
  const repo = writeGitRepository(files, {
    dir,
    message: "Generated pipeline for the planning benchmark",
  });
  return { ...repo, summary };
}

function parseArgs(argv) {
  const options = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === "--jobs") options.jobs = Number(value());
    else if (arg === "--seed") options.seed = Number(value());
    else if (arg === "--out") options.dir = value();
    else if (arg === "-h" || arg === "--help") {
      process.stdout.write("usage: node bench/generate.mjs [--jobs N] [--seed S] [--out DIR]\n");
      process.exit(0);
    } else throw new Error(`unknown argument ${arg}`);
  }
  return options;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    const result = writeRepository(parseArgs(process.argv.slice(2)));
    process.stderr.write(`${JSON.stringify({ sha: result.sha, ...result.summary })}\n`);
    process.stdout.write(`${result.dir}\n`);
  } catch (error) {
    process.stderr.write(`generate: ${error instanceof Error ? error.message : error}\n`);
    process.exitCode = 1;
  }
}
