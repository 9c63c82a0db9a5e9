import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { CONVEYOR_BIN, repository } from "../testing/cli-process.js";
import { spawnSync } from "node:child_process";
import { compileCacheDir, endProcess, launch } from "./launch.js";

describe("compileCacheDir", () => {
  test("is under XDG_CACHE_HOME, else ~/.cache; NODE_DISABLE_COMPILE_CACHE turns it off", () => {
    assert.equal(compileCacheDir({ XDG_CACHE_HOME: "/x/cache" }), "/x/cache/conveyor/v8");
    assert.equal(compileCacheDir({}), join(homedir(), ".cache", "conveyor", "v8"));
    assert.equal(
      compileCacheDir({ NODE_DISABLE_COMPILE_CACHE: "1", XDG_CACHE_HOME: "/x" }),
      undefined,
    );
  });
});

/** A bundle folder with a `main` and a `plan` bundle that record what they were given. */
function bundles(): string {
  const dir = mkdtempSync(join(tmpdir(), "conveyor-launch-"));
  writeFileSync(
    join(dir, "main.cjs"),
    `exports.main = async (argv, io, load) => {
       if (argv[0] === "--bad") return 2;
       const command = await load(argv[0]);
       return command(argv.slice(1), io);
     };\n`,
  );
  writeFileSync(
    join(dir, "plan.cjs"),
    `exports.planCommand = async (args, io) => { io.stdout.write("plan " + args.join(" ")); return Number(args[0] ?? 0); };\n`,
  );
  writeFileSync(
    join(dir, "manifest.json"),
    JSON.stringify({
      bundles: {
        main: { file: "main.cjs", digest: "1111" },
        plan: { file: "plan.cjs", digest: "2222" },
      },
    }),
  );
  return dir;
}

function io(): {
  cwd: string;
  stdout: { write(t: string): void; text: string };
  stderr: { write(t: string): void };
  env: Record<string, string>;
} {
  const stdout = {
    text: "",
    write(t: string) {
      this.text += t;
    },
  };
  return { cwd: tmpdir(), stdout, stderr: { write() {} }, env: {} };
}

describe("launch", () => {
  test("runs main from its bundle with a loader of the commands' bundles", async () => {
    const bundleDir = bundles();
    const out = io();
    assert.equal(await launch(["plan", "0", "x"], out, { bundleDir, cacheDir: undefined }), 0);
    assert.equal(out.stdout.text, "plan 0 x");
  });

  test("keeps the caches of a command that ran to its end (exit 0 or 1), not of a usage error or help", async () => {
    const bundleDir = bundles();
    const cacheDir = join(bundleDir, "cache");
    assert.equal(await launch(["--bad"], io(), { bundleDir, cacheDir }), 2);
    assert.equal(await launch(["plan", "0", "--help"], io(), { bundleDir, cacheDir }), 0);
    assert.equal(existsSync(cacheDir), false);
    assert.equal(await launch(["plan", "1"], io(), { bundleDir, cacheDir }), 1);
    assert.deepEqual(
      readdirSync(cacheDir)
        .map((name) => name.replace(/-v8-.*$/, ""))
        .sort(),
      ["main-1111", "plan-2222"],
    );
  });

  test("a command the manifest does not list is an error naming the manifest", async () => {
    const bundleDir = bundles();
    await assert.rejects(
      launch(["lint"], io(), { bundleDir, cacheDir: undefined }),
      (error: Error) =>
        error.message.includes(join(bundleDir, "manifest.json")) &&
        error.message.includes("'lint'"),
    );
  });
});

test("the installed command keeps its code caches in XDG_CACHE_HOME and reuses them", () => {
  const dir = repository({ ".gitlab-ci.yml": "build:\n  script: make\n" });
  const cacheHome = mkdtempSync(join(tmpdir(), "conveyor-cache-home-"));
  const env: NodeJS.ProcessEnv = { ...process.env, XDG_CACHE_HOME: cacheHome };
  delete env.NODE_DISABLE_COMPILE_CACHE;
  const run = () =>
    spawnSync(process.execPath, [CONVEYOR_BIN, "plan", "--json"], {
      cwd: dir,
      env,
      encoding: "utf8",
    });
  const first = run();
  assert.equal(first.status, 0, first.stderr);
  assert.equal(first.stderr, "");
  const cacheDir = join(cacheHome, "conveyor", "v8");
  const files = readdirSync(cacheDir).sort();
  // plan runs under V8 flags of its own (brief-commands.ts): its caches are tagged.
  assert.deepEqual(
    files.map((name) => name.replace(/-[0-9a-f]{16}-v8-.*-brief$/, "")),
    ["main", "plan"],
  );
  const written = files.map((name) => statSync(join(cacheDir, name)).mtimeMs);
  // Another command keeps a cache of main of its own, and leaves plan's alone.
  const version = spawnSync(process.execPath, [CONVEYOR_BIN, "--version"], {
    env,
    encoding: "utf8",
  });
  assert.equal(version.status, 0, version.stderr);
  const withVersion = readdirSync(cacheDir).filter((name) => !files.includes(name));
  assert.deepEqual(
    withVersion.map((name) => name.replace(/-[0-9a-f]{16}-v8-.*$/, "")),
    ["main"],
  );
  assert.ok(!withVersion[0]?.endsWith("-brief"), withVersion[0]);
  const second = run();
  assert.equal(second.status, 0, second.stderr);
  assert.equal(second.stdout, first.stdout);
  assert.deepEqual(readdirSync(cacheDir).sort(), [...files, ...withVersion].sort());
  assert.deepEqual(
    files.map((name) => statSync(join(cacheDir, name)).mtimeMs),
    written,
  );
  // The same command without the cache gives the same answer.
  const uncached = spawnSync(process.execPath, [CONVEYOR_BIN, "plan", "--json"], {
    cwd: dir,
    env: { ...env, NODE_DISABLE_COMPILE_CACHE: "1" },
    encoding: "utf8",
  });
  assert.equal(uncached.stdout, first.stdout);
});

describe("endProcess", () => {
  /** A process whose streams flush when told to; records what happened, in order. */
  function ending() {
    const events: string[] = [];
    const pending: Array<() => void> = [];
    const stream = (name: string) => ({
      write(text: string, done: () => void) {
        events.push(`${name} write ${JSON.stringify(text)}`);
        pending.push(done);
      },
    });
    const proc = {
      exitCode: undefined as number | string | null | undefined,
      stdout: stream("stdout"),
      stderr: stream("stderr"),
      exit(code: number) {
        events.push(`exit ${code}`);
      },
    };
    return { proc, events, flush: () => pending.splice(0).forEach((done) => done()) };
  }

  test("lint and plan exit once both streams flushed what was written before", () => {
    for (const command of ["lint", "plan"]) {
      const { proc, events, flush } = ending();
      endProcess([command, "--json"], 1, proc);
      assert.equal(proc.exitCode, 1);
      assert.deepEqual(events, ['stdout write ""', 'stderr write ""']);
      flush();
      assert.deepEqual(events.slice(2), ["exit 1"]);
    }
  });

  test("other commands only set the exit code, and end as Node ends them", () => {
    for (const argv of [["run"], ["server"], ["--version"], []]) {
      const { proc, events, flush } = ending();
      endProcess(argv, 0, proc);
      flush();
      assert.equal(proc.exitCode, 0);
      assert.deepEqual(events, []);
    }
  });
});

test("plan's output reaches a reader that reads it late, whole", () => {
  // Enough jobs for the JSON to outgrow a pipe's buffer (64 KiB on Linux) several times.
  const jobs = Array.from({ length: 1500 }, (_, i) => `job-${i}:\n  script: make ${i}\n`);
  const dir = repository({ ".gitlab-ci.yml": jobs.join("") });
  const command = `"${process.execPath}" "${CONVEYOR_BIN}" plan --json | (sleep 0.3; cat)`;
  const piped = spawnSync("sh", ["-c", command], {
    cwd: dir,
    encoding: "utf8",
    maxBuffer: 64 << 20,
  });
  assert.equal(piped.status, 0, piped.stderr);
  assert.ok(piped.stdout.length > 3 * 65_536, `${piped.stdout.length} bytes`);
  const plan = JSON.parse(piped.stdout) as { jobs: unknown[] };
  assert.equal(plan.jobs.length, 1500);
});
