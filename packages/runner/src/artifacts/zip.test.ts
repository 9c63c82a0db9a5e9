import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  existsSync,
  lstatSync,
  readFileSync,
  readlinkSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { crc32, crc32Table } from "./crc32.js";
import { createGzip, gunzipMembers } from "./gzip.js";
import { extractZip, readEntry, readZipEntries, ZipError } from "./zip-read.js";
import { createZip } from "./zip-write.js";
import { logSink, rawZip, tempDir, writeTree } from "./test-fixtures.js";

// The system unzip, zip and gzip (Debian packages of the same names) cross-check the formats.

describe("crc32", () => {
  it("native and table implementations agree on known values", () => {
    const data = Buffer.from("The quick brown fox jumps over the lazy dog");
    assert.equal(crc32Table(data), 0x414fa339);
    assert.equal(crc32(data) >>> 0, 0x414fa339);
    const first = crc32Table(data.subarray(0, 10));
    assert.equal(crc32Table(data.subarray(10), first), 0x414fa339);
  });
});

describe("createZip and extractZip", () => {
  const { dir, cleanup } = tempDir();
  after(cleanup);
  const project = join(dir, "project");
  const big = Buffer.alloc(300_000);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7919) % 251;
  writeTree(project, {
    "bin/tool": "#!/bin/sh\necho hi\n",
    "docs/readme.md": "# readme\n",
    "docs/ünïcode.txt": "unicode name\n",
    "empty/": "",
    link: "->docs/readme.md",
  });
  writeFileSync(join(project, "data.bin"), big);
  chmodSync(join(project, "bin/tool"), 0o755);
  chmodSync(join(project, "docs/readme.md"), 0o600);
  utimesSync(join(project, "docs/readme.md"), 1_600_000_000, 1_600_000_000);
  const files = [
    "bin",
    "bin/tool",
    "data.bin",
    "docs",
    "docs/readme.md",
    "docs/ünïcode.txt",
    "empty",
    "link",
  ];
  const zip = join(dir, "artifacts.zip");

  it("writes entries in byte order with kinds, modes and sizes", async () => {
    const { log, lines } = logSink();
    const result = await createZip({
      baseDir: project,
      files: [...files].reverse(),
      output: zip,
      log,
    });
    assert.equal(result.entries, 8);
    assert.deepEqual(lines, []);
    const entries = await readZipEntries(zip);
    assert.deepEqual(
      entries.map((e) => [e.name, e.kind, e.mode.toString(8), e.size]),
      [
        ["bin/", "directory", "755", 0],
        ["bin/tool", "file", "755", 18],
        ["data.bin", "file", "644", 300_000],
        ["docs/", "directory", "755", 0],
        ["docs/readme.md", "file", "600", 9],
        ["docs/ünïcode.txt", "file", "644", 13],
        ["empty/", "directory", "755", 0],
        ["link", "symlink", "777", 14],
      ],
    );
    const readme = entries.find((e) => e.name === "docs/readme.md")!;
    assert.equal(readme.mtime.getTime(), 1_600_000_000_000);
    assert.equal(readme.method, 8);
    assert.ok(entries.find((e) => e.name === "data.bin")!.compressedSize < 300_000);
    assert.equal((await readEntry(zip, entries.at(-1)!)).toString(), "docs/readme.md");
  });

  it("is read by the system unzip (listing and CRC test)", () => {
    const list = spawnSync("unzip", ["-Z1", zip], { encoding: "utf8" });
    assert.equal(list.status, 0, list.stderr);
    assert.deepEqual(list.stdout.trim().split("\n"), [
      "bin/",
      "bin/tool",
      "data.bin",
      "docs/",
      "docs/readme.md",
      "docs/ünïcode.txt",
      "empty/",
      "link",
    ]);
    const listing = spawnSync("unzip", ["-l", zip], { encoding: "utf8" });
    assert.match(listing.stdout, /300000\s+\S+\s+\S+\s+data\.bin/);
    const test = spawnSync("unzip", ["-tq", zip], { encoding: "utf8" });
    assert.equal(test.status, 0, test.stdout + test.stderr);
  });

  it("extracts files, directories and symlinks with modes and times", async () => {
    const out = join(dir, "out");
    const { log, lines } = logSink();
    assert.deepEqual(await extractZip({ file: zip, targetDir: out, log }), { entries: 8 });
    assert.deepEqual(lines, []);
    assert.deepEqual(readFileSync(join(out, "data.bin")), big);
    assert.equal(readFileSync(join(out, "docs/ünïcode.txt"), "utf8"), "unicode name\n");
    assert.equal(statSync(join(out, "bin/tool")).mode & 0o777, 0o755);
    assert.equal(statSync(join(out, "docs/readme.md")).mode & 0o777, 0o600);
    assert.equal(statSync(join(out, "docs/readme.md")).mtimeMs, 1_600_000_000_000);
    assert.ok(statSync(join(out, "empty")).isDirectory());
    assert.equal(readlinkSync(join(out, "link")), "docs/readme.md");
  });

  it("replaces existing files and never writes through an existing symlink", async () => {
    const out = join(dir, "replace");
    writeTree(out, {
      "victim.txt": "keep me",
      "data.bin": "->victim.txt",
      "docs/readme.md": "old",
    });
    await extractZip({ file: zip, targetDir: out });
    assert.equal(readFileSync(join(out, "victim.txt"), "utf8"), "keep me");
    assert.ok(lstatSync(join(out, "data.bin")).isFile());
    assert.equal(readFileSync(join(out, "docs/readme.md"), "utf8"), "# readme\n");
  });

  it("extracts an archive made by the system zip", async () => {
    const made = join(dir, "system.zip");
    const zipped = spawnSync("zip", ["-qry", made, "bin", "docs", "link"], { cwd: project });
    assert.equal(zipped.status, 0);
    const out = join(dir, "from-system");
    await extractZip({ file: made, targetDir: out });
    assert.equal(readFileSync(join(out, "bin/tool"), "utf8"), "#!/bin/sh\necho hi\n");
    assert.equal(statSync(join(out, "bin/tool")).mode & 0o777, 0o755);
    assert.equal(readlinkSync(join(out, "link")), "docs/readme.md");
  });

  it("warns when .git is archived, and about files it cannot take", async () => {
    writeTree(project, { ".git/HEAD": "ref: refs/heads/main\n" });
    const { log, lines } = logSink();
    await createZip({
      baseDir: project,
      files: [".git", ".git/HEAD", "vanished.txt"],
      output: join(dir, "git.zip"),
      log,
    });
    assert.deepEqual(lines.slice(0, 2), [
      "WARNING: Part of .git directory is on the list of files to archive",
      "WARNING: This may introduce unexpected problems",
    ]);
    assert.match(lines[2]!, /^WARNING: File ignored: ENOENT.*vanished\.txt/);
    assert.deepEqual(
      (await readZipEntries(join(dir, "git.zip"))).map((e) => e.name),
      [".git/", ".git/HEAD"],
    );
  });

  it("writes Zip64 end records past 65,535 entries", async () => {
    const many = join(dir, "many.zip");
    const count = 65_600;
    await createZip({ baseDir: project, files: Array<string>(count).fill("empty"), output: many });
    assert.equal((await readZipEntries(many)).length, count);
    const tail = readFileSync(many).subarray(-22 - 20 - 56);
    assert.equal(tail.readUInt32LE(0), 0x06064b50, "Zip64 end of central directory record");
    assert.equal(tail.readUInt32LE(56), 0x07064b50, "Zip64 end of central directory locator");
    assert.equal(tail.readUInt16LE(56 + 20 + 10), 0xffff, "classic record points to Zip64");
    const test = spawnSync("unzip", ["-tq", many], { encoding: "utf8" });
    assert.equal(test.status, 0, test.stdout + test.stderr);
  });

  it("streams large incompressible files both ways", async () => {
    const random = randomBytes(1_500_000);
    writeFileSync(join(dir, "random.bin"), random);
    const archive = join(dir, "random.zip");
    await createZip({ baseDir: dir, files: ["random.bin"], output: archive });
    const [entry] = await readZipEntries(archive);
    assert.ok(entry!.compressedSize > 1_400_000);
    const out = join(dir, "random-out");
    await extractZip({ file: archive, targetDir: out });
    assert.deepEqual(readFileSync(join(out, "random.bin")), random);
  });

  it("writes a valid empty archive", async () => {
    const empty = join(dir, "empty.zip");
    await createZip({ baseDir: project, files: [], output: empty });
    assert.deepEqual(await readZipEntries(empty), []);
    assert.equal(readFileSync(empty).length, 22);
  });
});

describe("extractZip refuses entries escaping the target (zip slip)", () => {
  const { dir, cleanup } = tempDir();
  after(cleanup);
  const cases: { name: string; entries: { name: string; data?: string; mode?: number }[] }[] = [
    {
      name: "parent traversal",
      entries: [
        { name: "ok.txt", data: "1" },
        { name: "../evil.txt", data: "x" },
      ],
    },
    { name: "nested traversal", entries: [{ name: "a/../../evil.txt", data: "x" }] },
    { name: "absolute name", entries: [{ name: `${dir}/evil.txt`, data: "x" }] },
    {
      name: "a file through a symlink extracted earlier",
      entries: [
        { name: "escape", data: dir, mode: 0o120777 },
        { name: "escape/evil.txt", data: "x" },
      ],
    },
  ];
  for (const [i, c] of cases.entries()) {
    it(c.name, async () => {
      const file = join(dir, `slip-${i}.zip`);
      writeFileSync(file, rawZip(c.entries));
      const target = join(dir, `target-${i}`);
      await assert.rejects(extractZip({ file, targetDir: target }), (err: Error) => {
        assert.ok(err instanceof ZipError);
        assert.match(err.message, /cannot be extracted outside of/);
        return true;
      });
      assert.equal(existsSync(join(dir, "evil.txt")), false);
    });
  }

  it("reports a corrupt entry as a warning and goes on", async () => {
    const good = rawZip([
      { name: "a.txt", data: "hello" },
      { name: "b.txt", data: "world" },
    ]);
    const bad = Buffer.from(good);
    bad[30 + "a.txt".length] = "j".charCodeAt(0);
    const file = join(dir, "corrupt.zip");
    writeFileSync(file, bad);
    const { log, lines } = logSink();
    const target = join(dir, "corrupt");
    await extractZip({ file, targetDir: target, log });
    assert.deepEqual(lines, ["WARNING: a.txt: zip: checksum error (suppressing repeats)"]);
    assert.equal(readFileSync(join(target, "b.txt"), "utf8"), "world");
  });

  it("rejects a file that is not a zip", async () => {
    const file = join(dir, "not.zip");
    writeFileSync(file, "definitely not a zip archive");
    await assert.rejects(extractZip({ file, targetDir: join(dir, "x") }), ZipError);
  });
});

describe("createGzip and gunzipMembers", () => {
  const { dir, cleanup } = tempDir();
  after(cleanup);
  writeTree(dir, {
    "reports/b.xml": "<b/>",
    "reports/a.xml": "<a/>",
    "reports/dir/": "",
  });

  it("writes one member per file, in byte order, named and commented", async () => {
    const out = join(dir, "junit.xml.gz");
    await createGzip({ baseDir: dir, files: ["reports/b.xml", "reports/a.xml"], output: out });
    const members = gunzipMembers(readFileSync(out));
    assert.deepEqual(
      members.map((m) => [m.name, m.comment, m.data.toString()]),
      [
        ["a.xml", "reports/a.xml", "<a/>"],
        ["b.xml", "reports/b.xml", "<b/>"],
      ],
    );
    assert.ok(members[0]!.mtime > 0);
  });

  it("is read by the system gzip", () => {
    const out = join(dir, "junit.xml.gz");
    const result = spawnSync("gzip", ["-dc", out], { encoding: "utf8" });
    assert.equal(result.status, 0);
    assert.equal(result.stdout, "<a/><b/>");
  });

  it("refuses a directory", async () => {
    await assert.rejects(
      createGzip({ baseDir: dir, files: ["reports/dir"], output: join(dir, "x.gz") }),
      /the "reports\/dir" is not a regular file/,
    );
  });

  it("detects a damaged member", () => {
    const data = readFileSync(join(dir, "junit.xml.gz"));
    const damaged = Buffer.from(data);
    damaged.writeUInt8(damaged.readUInt8(damaged.length - 5) ^ 0xff, damaged.length - 5);
    assert.throws(() => gunzipMembers(damaged), /gzip: invalid/);
  });
});
