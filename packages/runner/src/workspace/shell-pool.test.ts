import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { partialMarkerAt, ShellPool } from "./shell-pool.js";

const dir = mkdtempSync(join(tmpdir(), "conveyor-shell-pool-"));
after(() => rmSync(dir, { recursive: true, force: true }));

async function run(
  pool: ShellPool,
  script: string,
  cwd = dir,
  signal = new AbortController().signal,
) {
  const chunks: Buffer[] = [];
  const { exitCode } = await pool.run(script, { cwd, signal, output: (c) => chunks.push(c) });
  return { exitCode, output: Buffer.concat(chunks).toString("latin1") };
}

/** Runs `test` with a pool of its own, closed after. */
async function withPool(test: (pool: ShellPool) => Promise<void>): Promise<void> {
  const pool = new ShellPool(process.env);
  try {
    await test(pool);
  } finally {
    pool.close();
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("ShellPool", () => {
  it("runs scripts one after another in one shell, each with its output and exit status", () =>
    withPool(async (pool) => {
      assert.deepEqual(await run(pool, "echo one\necho two >&2\n"), {
        exitCode: 0,
        output: "one\ntwo\n",
      });
      assert.deepEqual(await run(pool, "echo three; exit 5"), { exitCode: 5, output: "three\n" });
      assert.deepEqual(await run(pool, "false"), { exitCode: 1, output: "" });
      assert.equal(pool.started, 1);
    }));

  it("keeps each script's folder, variables and redirections to itself", () =>
    withPool(async (pool) => {
      await run(pool, "exec 2>/dev/null; cd /; LEAK=yes; export LEAK");
      const { output } = await run(pool, 'echo "[$LEAK]" "$(pwd)"; echo err >&2');
      assert.equal(output, `[] ${dir}\nerr\n`);
      assert.equal(pool.started, 1);
    }));

  it("gives scripts that run at once shells of their own", () =>
    withPool(async (pool) => {
      const [a, b] = await Promise.all([
        run(pool, "sleep 0.2; echo a; exit 2"),
        run(pool, "sleep 0.2; echo b"),
      ]);
      assert.deepEqual(a, { exitCode: 2, output: "a\n" });
      assert.deepEqual(b, { exitCode: 0, output: "b\n" });
      assert.equal(pool.started, 2);
    }));

  it("passes output through as written: NUL bytes, marker-like text, a megabyte at once", () =>
    withPool(async (pool) => {
      const odd = await run(pool, "printf 'a\\000b\\000conveyor-x:1\\000c'");
      assert.equal(odd.output, "a\0b\0conveyor-x:1\0c");
      const big = await run(
        pool,
        "i=0; while [ $i -lt 16 ]; do head -c 65536 /dev/zero | tr '\\0' x; i=$((i+1)); done",
      );
      assert.equal(big.exitCode, 0);
      assert.equal(big.output, "x".repeat(16 * 65536));
    }));

  it("hands output over while the script still runs", () =>
    withPool(async (pool) => {
      let done = false;
      let earlyOutput = "";
      const running = pool
        .run("echo first; sleep 0.5; echo second", {
          cwd: dir,
          signal: new AbortController().signal,
          output: (chunk) => {
            if (!done) earlyOutput += chunk.toString();
          },
        })
        .then((r) => {
          done = true;
          return r;
        });
      // Before the script can have ended, its first line is there.
      while (!earlyOutput.includes("first") && !done) await new Promise((r) => setTimeout(r, 10));
      assert.equal(done, false);
      assert.equal((await running).exitCode, 0);
    }));

  it("fails a script that does not parse, alone", () =>
    withPool(async (pool) => {
      const broken = await run(pool, "if then fi (");
      assert.notEqual(broken.exitCode, 0);
      assert.notEqual(broken.exitCode, null);
      assert.deepEqual(await run(pool, "echo fine"), { exitCode: 0, output: "fine\n" });
      assert.equal(pool.started, 1);
    }));

  it("starts a script in a relative folder as a spawn in it would", () =>
    withPool(async (pool) => {
      const { output } = await run(pool, "pwd", relative(process.cwd(), dir));
      assert.equal(output, `${dir}\n`);
    }));

  it("fails a script whose folder is missing", () =>
    withPool(async (pool) => {
      const { exitCode } = await run(pool, "echo never", join(dir, "missing"));
      assert.notEqual(exitCode, 0);
    }));

  it("stops an aborted script and what it started, and does not use that shell again", () =>
    withPool(async (pool) => {
      const pidFile = join(dir, "sleeper.pid");
      const controller = new AbortController();
      const running = run(pool, `sleep 30 & echo $! > ${pidFile}; wait`, dir, controller.signal);
      while (!existsSync(pidFile) || readFileSync(pidFile, "utf8").trim() === "") {
        await new Promise((r) => setTimeout(r, 10));
      }
      const sleeper = Number(readFileSync(pidFile, "utf8"));
      assert.equal(alive(sleeper), true);
      controller.abort();
      assert.equal((await running).exitCode, null);
      for (let i = 0; i < 200 && alive(sleeper); i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(alive(sleeper), false, "the script's child outlived the abort");
      assert.deepEqual(await run(pool, "echo again"), { exitCode: 0, output: "again\n" });
      assert.equal(pool.started, 2);
      // Aborted before it starts: nothing runs.
      assert.deepEqual(await run(pool, `touch ${join(dir, "never")}`, dir, controller.signal), {
        exitCode: null,
        output: "",
      });
      assert.equal(existsSync(join(dir, "never")), false);
    }));

  it("fails the run with the reason when no shell can start", async () => {
    const pool = new ShellPool({ ...process.env, PATH: join(dir, "no-such-folder") });
    await assert.rejects(run(pool, "echo never"), /ENOENT/);
  });

  it("does not keep the process alive when idle", () => {
    const module = fileURLToPath(new URL("./shell-pool.js", import.meta.url));
    const program = `
      const { ShellPool } = await import(${JSON.stringify(module)});
      const pool = new ShellPool(process.env);
      const r = await pool.run("echo ok", { cwd: "/", signal: new AbortController().signal, output: (c) => process.stdout.write(c) });
      process.stdout.write("status " + r.exitCode + "\\n");
    `;
    const result = spawnSync(process.execPath, ["--input-type=module", "-e", program], {
      encoding: "utf8",
      timeout: 20_000,
    });
    assert.equal(result.signal, null, "the process had to be killed: an idle shell kept it alive");
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, "ok\nstatus 0\n");
  });
});

describe("partialMarkerAt", () => {
  const marker = Buffer.from("\0conveyor-ab:");
  it("finds where a marker cut by the end of a chunk starts", () => {
    assert.equal(partialMarkerAt(Buffer.from("output\0conv"), marker), 6);
    assert.equal(partialMarkerAt(Buffer.from("output\0"), marker), 6);
  });
  it("keeps nothing back when the end cannot start the marker", () => {
    assert.equal(partialMarkerAt(Buffer.from("output"), marker), 6);
    assert.equal(partialMarkerAt(Buffer.from("out\0x"), marker), 5);
    assert.equal(partialMarkerAt(Buffer.from(""), marker), 0);
  });
});
