import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { collectArtifactFiles } from "./collect.js";
import { gitRepo, logSink, tempDir, writeTree } from "./test-fixtures.js";

describe("collectArtifactFiles", () => {
  const { dir, cleanup } = tempDir();
  after(cleanup);
  before(() => {
    writeTree(dir, {
      "binaries/app": "bin",
      "binaries/obj/a.o": "o",
      "binaries/obj/deep/b.o": "o",
      "binaries/readme.md": "r",
      "dist/index.js": "js",
      "dist/index.js.map": "map",
      "dist/sub/page.js": "js",
      ".env": "x",
      "report.xml": "<x/>",
      link: "->dist/index.js",
      escape: "->/etc",
    });
  });

  const table: {
    name: string;
    paths: string[];
    exclude?: string[];
    files: string[];
    logs: string[];
  }[] = [
    {
      name: "a directory is taken recursively, itself included",
      paths: ["binaries/"],
      files: [
        "binaries",
        "binaries/app",
        "binaries/obj",
        "binaries/obj/a.o",
        "binaries/obj/deep",
        "binaries/obj/deep/b.o",
        "binaries/readme.md",
      ],
      logs: ["binaries/: found 7 matching artifact files and directories"],
    },
    {
      name: "** spans directories",
      paths: ["dist/**/*.js"],
      files: ["dist/index.js", "dist/sub/page.js"],
      logs: ["dist/**/*.js: found 2 matching artifact files and directories"],
    },
    {
      name: "exclude is matched against each walked path",
      paths: ["binaries"],
      exclude: ["binaries/**/*.o"],
      files: [
        "binaries",
        "binaries/app",
        "binaries/obj",
        "binaries/obj/deep",
        "binaries/readme.md",
      ],
      logs: [
        "binaries: found 5 matching artifact files and directories",
        "binaries/**/*.o: excluded 2 files",
      ],
    },
    {
      name: "excluding a directory does not exclude what is inside it",
      paths: ["dist"],
      exclude: ["dist/sub"],
      files: ["dist", "dist/index.js", "dist/index.js.map", "dist/sub/page.js"],
      logs: ["dist: found 4 matching artifact files and directories", "dist/sub: excluded 1 files"],
    },
    {
      name: "dotfiles match *, symlinks are kept as links",
      paths: [".*", "link", "escape"],
      files: [".env", "escape", "link"],
      logs: [
        ".*: found 1 matching artifact files and directories",
        "link: found 1 matching artifact files and directories",
        "escape: found 1 matching artifact files and directories",
      ],
    },
    {
      name: "absolute paths inside the project are accepted",
      paths: ["<dir>/report.xml"],
      files: ["report.xml"],
      logs: ["<dir>/report.xml: found 1 matching artifact files and directories"],
    },
    {
      name: "paths outside the project are refused",
      paths: ["../outside.txt", "/etc/passwd", "../*.txt"],
      files: [],
      logs: [
        "WARNING: processPath: artifact path is not a subpath of project directory: ../outside.txt",
        "WARNING: processPath: artifact path is not a subpath of project directory: /etc/passwd",
        "WARNING: processPath: artifact path is not a subpath of project directory: ../*.txt",
      ],
    },
    {
      name: "no match and empty paths are warnings",
      paths: ["nothing/*.bin", ""],
      files: [],
      logs: [
        "WARNING: nothing/*.bin: no matching files. Ensure that the artifact path is relative to the working directory (<dir>)",
        "WARNING: No matching files. Path is empty.",
      ],
    },
    {
      name: "a bad pattern is a warning",
      paths: ["dist/{a,b"],
      files: [],
      logs: ["WARNING: dist/{a,b: syntax error in pattern"],
    },
    {
      name: "an exclude outside the project disables exclusion",
      paths: ["report.xml"],
      exclude: ["../x"],
      files: ["report.xml"],
      logs: [
        "WARNING: isExcluded: artifact path is not a subpath of project directory: ../x",
        "report.xml: found 1 matching artifact files and directories",
      ],
    },
  ];

  for (const row of table) {
    it(row.name, async () => {
      const { log, lines } = logSink();
      const files = await collectArtifactFiles({
        projectDir: dir,
        paths: row.paths.map((p) => p.replace("<dir>", dir)),
        exclude: row.exclude ?? [],
        log,
      });
      assert.deepEqual(files, row.files);
      assert.deepEqual(
        lines,
        row.logs.map((l) => l.replaceAll("<dir>", dir)),
      );
    });
  }

  it("returns the union of several paths once each, in byte order", async () => {
    const { log } = logSink();
    const files = await collectArtifactFiles({
      projectDir: dir,
      paths: ["dist/index.js", "dist", "report.xml"],
      log,
    });
    assert.deepEqual(files, [
      "dist",
      "dist/index.js",
      "dist/index.js.map",
      "dist/sub",
      "dist/sub/page.js",
      "report.xml",
    ]);
  });
});

describe("collectArtifactFiles with untracked", () => {
  const { dir, cleanup } = tempDir();
  after(cleanup);
  before(() => {
    gitRepo(dir, { "tracked.txt": "t", ".gitignore": "ignored/\n*.log\n" });
    writeTree(dir, {
      "new.txt": "n",
      "ignored/cache.bin": "c",
      "debug.log": "l",
      "sub/fresh.md": "f",
    });
  });

  it("takes what git ls-files -o reports, .gitignore'd files included", async () => {
    const { log, lines } = logSink();
    const files = await collectArtifactFiles({ projectDir: dir, paths: [], untracked: true, log });
    assert.deepEqual(files, ["debug.log", "ignored/cache.bin", "new.txt", "sub/fresh.md"]);
    assert.deepEqual(lines, ["untracked: found 4 files"]);
  });

  it("applies exclude to untracked files and merges them with paths", async () => {
    const { log, lines } = logSink();
    const files = await collectArtifactFiles({
      projectDir: dir,
      paths: ["tracked.txt"],
      exclude: ["*.log"],
      untracked: true,
      log,
    });
    assert.deepEqual(files, ["ignored/cache.bin", "new.txt", "sub/fresh.md", "tracked.txt"]);
    assert.deepEqual(lines, [
      "tracked.txt: found 1 matching artifact files and directories",
      "untracked: found 3 files",
      "*.log: excluded 1 files",
    ]);
  });

  it("warns when the project is not a git repository", async () => {
    const plain = tempDir();
    try {
      const { log, lines } = logSink();
      const files = await collectArtifactFiles({
        projectDir: plain.dir,
        paths: [],
        untracked: true,
        log,
      });
      assert.deepEqual(files, []);
      assert.ok(
        lines.some((l) => /not a git repository/.test(l)),
        lines.join("\n"),
      );
      assert.equal(lines.at(-1), "WARNING: untracked: exit status 128");
    } finally {
      plain.cleanup();
    }
  });
});
