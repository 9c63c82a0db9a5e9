/**
 * Images for the Docker executor's tests, built on the local engine without any registry:
 * - `conveyor-test/busybox:latest`: FROM scratch, the host's static busybox (Debian's
 *   busybox-static, /bin/busybox) with a link per applet; /bin/sh, no bash;
 * - `conveyor-test/httpd:latest`: busybox `httpd` serving HTTPD_BODY on an EXPOSEd port 80;
 * - `conveyor-test/bash:latest`: the busybox image plus the host's /bin/bash and its libraries;
 * - `conveyor-test/entrypoint:latest`: busybox with an ENTRYPOINT that ignores its command.
 * Each build sends a tar context (rootfs + Dockerfile) to `POST /build`. An image whose recipe
 * label matches is reused, so a second call is one inspect.
 */
import { execFileSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { Readable } from "node:stream";
import type Docker from "dockerode";
import tar from "tar-fs";
import { EngineApi, readProgressStream } from "../engine-api.js";

export const TEST_BUSYBOX_IMAGE = "conveyor-test/busybox:latest";
export const TEST_HTTPD_IMAGE = "conveyor-test/httpd:latest";
export const TEST_BASH_IMAGE = "conveyor-test/bash:latest";
/** Busybox with `ENTRYPOINT ["/bin/echo", "entrypoint-ran"]`: it never runs the command it gets. */
export const TEST_ENTRYPOINT_IMAGE = "conveyor-test/entrypoint:latest";
/** What the httpd image serves at `/`. */
export const HTTPD_BODY = "conveyor-test-httpd-ok";

const RECIPE_LABEL = "com.conveyor.test-image-recipe";
const RECIPE_VERSION = "1";
const BUSYBOX = process.env.CONVEYOR_TEST_BUSYBOX ?? "/bin/busybox";

export async function ensureBusyboxImage(docker: Docker): Promise<string> {
  return ensureImage(docker, TEST_BUSYBOX_IMAGE, (root) => {
    if (!existsSync(BUSYBOX)) {
      throw new Error(
        `${BUSYBOX} is missing: install Debian's busybox-static (apt-get install busybox-static) to build ${TEST_BUSYBOX_IMAGE}`,
      );
    }
    const rootfs = join(root, "rootfs");
    mkdirSync(join(rootfs, "bin"), { recursive: true });
    copyFileSync(BUSYBOX, join(rootfs, "bin/busybox"));
    const applets = execFileSync(BUSYBOX, ["--list-full"], { encoding: "utf8" })
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line !== "" && !line.endsWith("/bash"));
    for (const applet of applets) {
      const path = join(rootfs, applet);
      if (existsSync(path)) continue;
      mkdirSync(dirname(path), { recursive: true });
      symlinkSync("/bin/busybox", path);
    }
    mkdirSync(join(rootfs, "etc"), { recursive: true });
    writeFileSync(
      join(rootfs, "etc/passwd"),
      "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
    );
    writeFileSync(join(rootfs, "etc/group"), "root:x:0:\nnogroup:x:65534:\n");
    mkdirSync(join(rootfs, "root"), { recursive: true });
    mkdirSync(join(rootfs, "tmp"), { recursive: true, mode: 0o1777 });
    return [
      "FROM scratch",
      "COPY rootfs/ /",
      "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      'CMD ["sh"]',
    ];
  });
}

export async function ensureHttpdImage(docker: Docker): Promise<string> {
  await ensureBusyboxImage(docker);
  return ensureImage(docker, TEST_HTTPD_IMAGE, (root) => {
    mkdirSync(join(root, "www"));
    writeFileSync(join(root, "www/index.html"), `${HTTPD_BODY}\n`);
    return [
      `FROM ${TEST_BUSYBOX_IMAGE}`,
      "COPY www/ /www/",
      "EXPOSE 80",
      'CMD ["httpd", "-f", "-v", "-p", "80", "-h", "/www"]',
    ];
  });
}

/** The busybox image plus the host's bash and the shared libraries `ldd` lists for it. */
export async function ensureBashImage(docker: Docker): Promise<string> {
  await ensureBusyboxImage(docker);
  return ensureImage(docker, TEST_BASH_IMAGE, (root) => {
    const rootfs = join(root, "rootfs");
    const files = ["/bin/bash", ...sharedLibraries("/bin/bash")];
    for (const file of files) {
      const target = join(rootfs, file);
      mkdirSync(dirname(target), { recursive: true });
      copyFileSync(file, target);
    }
    return [`FROM ${TEST_BUSYBOX_IMAGE}`, "COPY rootfs/ /"];
  });
}

export async function ensureEntrypointImage(docker: Docker): Promise<string> {
  await ensureBusyboxImage(docker);
  return ensureImage(docker, TEST_ENTRYPOINT_IMAGE, () => [
    `FROM ${TEST_BUSYBOX_IMAGE}`,
    'ENTRYPOINT ["/bin/echo", "entrypoint-ran"]',
  ]);
}

export async function ensureTestImages(docker: Docker): Promise<void> {
  await ensureBusyboxImage(docker);
  await ensureHttpdImage(docker);
  await ensureBashImage(docker);
  await ensureEntrypointImage(docker);
}

function sharedLibraries(binary: string): string[] {
  const listing = execFileSync("ldd", [binary], { encoding: "utf8" });
  const paths: string[] = [];
  for (const line of listing.split("\n")) {
    const match = /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(line);
    if (match) paths.push(match[1]!);
  }
  return paths;
}

/** Builds `name` from the context `write` fills (it returns the Dockerfile's lines) unless current. */
async function ensureImage(
  docker: Docker,
  name: string,
  write: (contextDir: string) => string[],
): Promise<string> {
  const api = new EngineApi(docker);
  const existing = await api.inspectImage(name);
  if (existing && existing.Config?.Labels?.[RECIPE_LABEL] === RECIPE_VERSION) return existing.Id;

  const contextDir = mkdtempSync(join(tmpdir(), "conveyor-test-image-"));
  try {
    const dockerfile = write(contextDir);
    writeFileSync(join(contextDir, "Dockerfile"), `${dockerfile.join("\n")}\n`);
    const context = tar.pack(contextDir) as unknown as Readable;
    const stream = (await docker.buildImage(context, {
      t: name,
      labels: { [RECIPE_LABEL]: RECIPE_VERSION },
      rm: true,
      forcerm: true,
    })) as unknown as Readable;
    await readProgressStream(stream);
  } finally {
    rmSync(contextDir, { recursive: true, force: true });
  }
  const built = await api.inspectImage(name);
  if (!built) throw new Error(`building ${name} left no image`);
  return built.Id;
}
