#!/usr/bin/env python3
"""Assembles the in-cluster runner image (local/conveyor-runner:<tag>) from this host's files.

The image holds exactly what `conveyor runner run` needs in a pod, taken from the machine that
builds it (no registry, no base image to pull):
  /usr/bin/node            the host's Node.js (>= 20) and the shared libraries `ldd` lists
  /usr/bin/git, /usr/lib/git-core/git-remote-http(s)
                           the runner core checks sources out with git over HTTP(S)
  /usr/bin/sh (dash)       get_sources runs its git commands as one `sh -c` script
  /usr/bin/tar             GNU tar, for scripts and tools that expect one
  /etc/ssl/certs/ca-certificates.crt, /etc/passwd, /etc/group (user conveyor, 10001:10001),
  /etc/nsswitch.conf, /tmp and /var/lib/conveyor (mode 1777: the packer owns every entry 0:0)
  /opt/conveyor            bin/conveyor.js, what it starts the bundles with (launch.cjs) and the
                           bundles the runner loads (dist/bundle: `main` and `runner`, listed in
                           a manifest of their own)
The bundles' require() calls are checked: a package the bundle leaves external (a native module such as
better-sqlite3, the server's fastify, dockerode) that the runner command can load must be either
in OPTIONAL_EXTERNALS (not needed in a pod, or loaded in a try/catch and done without) or copied
from node_modules with its dependencies, which this does.

Packing reuses scripts/k8s/mkimage.py's reproducible layer (sorted entries, 0:0, epoch dates)
and adds the image configuration's `User`, which mkimage.py does not write. The archive is
cached under .cache/k8s-runner-image/, named after a digest of every input (file contents,
link targets, modes, this script, mkimage.py): an unchanged input set reuses the archive.

usage: runner-image.py --repo DIR --tag NAME:TAG --cache DIR
  prints "<archive path> <config digest>" on its last line.
Standard library only; Linux with ldd and dpkg-query (Debian) for the provenance file.
"""

import argparse
import hashlib
import io
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tarfile
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mkimage  # noqa: E402  (the rig's packer, beside this file)

RUNNER_UID = 10001
# Reachable from the runner command but not needed in the image: the Docker executor's client
# (a pod has no Docker daemon to talk to); optional modules that bundled code loads in a
# try/catch and does without: ws's native add-ons
# (https://github.com/websockets/ws#opt-in-for-performance) and node-fetch 2's `encoding`
# (https://github.com/node-fetch/node-fetch/tree/v2.7.0#install, used by the Kubernetes client).
OPTIONAL_EXTERNALS = {"dockerode", "bufferutil", "utf-8-validate", "encoding"}
# What bin/conveyor.js requires to start the bundles (packages/cli/src/launch, bundled by
# scripts/bundle-cli.mjs): it requires only Node's own modules.
LAUNCH_FILES = ("bundle/launch.cjs",)
# The bundles `conveyor runner` loads (scripts/bundle-cli.mjs): `main`, then the command's own.
RUNNER_BUNDLES = ("main", "runner")
# Each bundle is one CommonJS file: it reaches what it does not hold through require() (or
# esbuild's __require, or a createRequire() function bundled code named __require<N>). Quoted
# occurrences (code kept as text, as ajv keeps its runtime's `require("ajv/dist/runtime/…")`)
# are not calls.
REQUIRE_CALL = re.compile(r"""(?<![\w$.'"`])(?:__)?require\d*\(\s*["']([^"']+)["']\s*\)""")


def fail(message: str) -> None:
    sys.exit(f"runner-image.py: {message}")


def node_builtins(node: str) -> set:
    names = subprocess.run(
        [node, "-p", "require('node:module').builtinModules.join('\\n')"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return set(names)


def package_of(specifier: str) -> str:
    """`@scope/name/sub` → `@scope/name`, `name/sub` → `name`."""
    parts = specifier.split("/")
    return "/".join(parts[:2]) if specifier.startswith("@") else parts[0]


def code_lines(text: str) -> str:
    """The text without comment lines (JSDoc mentions `require('./x.js')` in examples)."""
    return "\n".join(
        line for line in text.splitlines() if not line.lstrip().startswith(("*", "/*", "//"))
    )


def bundle_closure(dist: str, builtins: set) -> tuple:
    """The files `conveyor runner` loads, the manifest listing its bundles, and the external
    packages they require."""
    manifest_path = os.path.join(dist, "bundle", "manifest.json")
    if not os.path.isfile(manifest_path):
        fail(f"{manifest_path} is missing: run `npm run build` first")
    with open(manifest_path, encoding="utf-8") as handle:
        listed = json.load(handle)["bundles"]
    missing = [name for name in RUNNER_BUNDLES if name not in listed]
    if missing:
        fail(f"{manifest_path} lists no {', '.join(missing)}: is it scripts/bundle-cli.mjs's output?")
    manifest = {"bundles": {name: listed[name] for name in RUNNER_BUNDLES}}
    bundles = [os.path.join(dist, "bundle", listed[name]["file"]) for name in RUNNER_BUNDLES]
    files = [os.path.join(dist, path) for path in LAUNCH_FILES] + bundles
    for path in files:
        if not os.path.isfile(path):
            fail(f"{path} is missing: run `npm run build` first")
    externals = set()
    for path in bundles:
        with open(path, encoding="utf-8") as handle:
            text = code_lines(handle.read())
        for specifier in REQUIRE_CALL.findall(text):
            if specifier.startswith("."):
                fail(f"{path} requires {specifier}: a bundle should hold its own modules")
            if not (specifier.startswith("node:") or specifier in builtins):
                externals.add(package_of(specifier))
    return sorted(files), externals, manifest


def node_module_closure(repo: str, packages: set) -> list:
    """Directories under node_modules holding `packages` and their dependencies."""
    todo, seen = sorted(packages), set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        manifest = os.path.join(repo, "node_modules", name, "package.json")
        if not os.path.isfile(manifest):
            fail(f"the runner imports {name}, which is not in {repo}/node_modules")
        with open(manifest, encoding="utf-8") as handle:
            meta = json.load(handle)
        todo += list(meta.get("dependencies", {})) + list(meta.get("optionalDependencies", {}))
    return sorted(seen)


def shared_libraries(binary: str) -> list:
    """The paths `ldd` resolves for a dynamically linked binary, loader included."""
    out = subprocess.run(["ldd", binary], check=True, capture_output=True, text=True).stdout
    paths = []
    for line in out.splitlines():
        line = line.strip()
        if "not found" in line:
            fail(f"{binary}: {line}")
        match = re.match(r"^\S+ => (/\S+) \(", line) or re.match(r"^(/\S+) \(", line)
        if match:
            paths.append(match.group(1))
    return paths


def merged_usr(path: str) -> str:
    """Debian's merged /usr: /lib/x → /usr/lib/x (the image links /lib to usr/lib)."""
    for top in ("/bin/", "/sbin/", "/lib/", "/lib64/"):
        if path.startswith(top):
            return "/usr" + path
    return path


class Plan:
    """What the image's root filesystem holds: destination → (kind, source or data, mode)."""

    def __init__(self) -> None:
        self.entries = {}
        self.host_files = []

    def directory(self, dest: str, mode: int = 0o755) -> None:
        self.entries[dest] = ("dir", None, mode)

    def link(self, dest: str, target: str) -> None:
        self.entries[dest] = ("link", target, 0o777)

    def data(self, dest: str, text: str, mode: int = 0o644) -> None:
        self.entries[dest] = ("data", text.encode(), mode)

    def file(self, dest: str, source: str, mode: int = None) -> None:
        real = os.path.realpath(source)
        if not os.path.isfile(real):
            fail(f"{source} is missing")
        if mode is None:
            mode = 0o755 if os.stat(real).st_mode & stat.S_IXUSR else 0o644
        self.entries[dest] = ("file", real, mode)

    def binary(self, dest: str, source: str) -> None:
        self.file(dest, source, 0o755)
        for library in shared_libraries(source):
            self.file(merged_usr(library), library, 0o755)

    def digest(self, extra: list) -> str:
        h = hashlib.sha256()
        for dest in sorted(self.entries):
            kind, source, mode = self.entries[dest]
            if kind == "file":
                with open(source, "rb") as handle:
                    content = hashlib.file_digest(handle, "sha256").hexdigest()
            elif kind == "data":
                content = hashlib.sha256(source).hexdigest()
            else:
                content = source or ""
            h.update(f"{dest}\0{kind}\0{mode:o}\0{content}\n".encode())
        for item in extra:
            h.update(item.encode() + b"\n")
        return h.hexdigest()

    def materialize(self, root: str) -> None:
        for dest in sorted(self.entries):
            kind, source, mode = self.entries[dest]
            path = root + dest
            os.makedirs(os.path.dirname(path), exist_ok=True)
            if kind == "dir":
                os.makedirs(path, exist_ok=True)
            elif kind == "link":
                os.symlink(source, path)
            elif kind == "file":
                shutil.copyfile(source, path)
            else:
                with open(path, "wb") as handle:
                    handle.write(source)
            if kind != "link":
                os.chmod(path, mode)


def provenance(sources: list) -> str:
    """The Debian packages (name=version) the host files came from, for the image's record."""
    # merged /usr: dpkg may know a file by its /lib or /bin path
    aliases = [re.sub(r"^/usr(/(?:lib|lib64|bin|sbin)/)", r"\1", source) for source in sources]
    found = subprocess.run(
        ["dpkg-query", "-S", *sorted(set(sources + aliases))], capture_output=True, text=True
    ).stdout
    packages = set()
    for line in found.splitlines():
        if ": " in line and not line.startswith("diversion "):
            packages.update(p.strip().split(":")[0] for p in line.split(": ", 1)[0].split(","))
    if not packages:
        return ""
    listed = subprocess.run(
        ["dpkg-query", "-W", "-f=${Package}=${Version}\n", *sorted(packages)],
        capture_output=True,
        text=True,
    ).stdout
    return "".join(sorted(set(listed.splitlines(keepends=True))))


def plan_image(repo: str) -> tuple:
    node = shutil.which("node")
    if node is None:
        fail("no node in PATH")
    version = subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip()
    if int(version.lstrip("v").split(".")[0]) < 20:
        fail(f"node {version} is too old: the CLI needs Node.js 20 or later")
    for tool in ("git", "tar", "dash"):
        if shutil.which(tool) is None:
            fail(f"no {tool} in PATH")
    git_core = subprocess.run(
        ["git", "--exec-path"], check=True, capture_output=True, text=True
    ).stdout.strip()

    plan = Plan()
    for top in ("bin", "sbin", "lib", "lib64"):
        plan.link(f"/{top}", f"usr/{top}")
    plan.binary("/usr/bin/node", node)
    plan.binary("/usr/bin/dash", shutil.which("dash"))
    plan.link("/usr/bin/sh", "dash")
    plan.binary("/usr/bin/git", shutil.which("git"))
    plan.binary("/usr/bin/tar", shutil.which("tar"))
    # git runs its built-in commands as `git <command>` from its exec path and the HTTP
    # transport as the separate program git-remote-http(s).
    plan.link("/usr/lib/git-core/git", "../../bin/git")
    plan.binary("/usr/lib/git-core/git-remote-http", os.path.join(git_core, "git-remote-http"))
    plan.link("/usr/lib/git-core/git-remote-https", "git-remote-http")
    templates = "/usr/share/git-core/templates"
    plan.file(f"{templates}/description", f"{templates}/description")
    plan.file(f"{templates}/info/exclude", f"{templates}/info/exclude")
    plan.file("/etc/ssl/certs/ca-certificates.crt", "/etc/ssl/certs/ca-certificates.crt")
    plan.data(
        "/etc/passwd",
        "root:x:0:0:root:/root:/usr/bin/sh\n"
        f"conveyor:x:{RUNNER_UID}:{RUNNER_UID}:Conveyor runner:/var/lib/conveyor:/usr/bin/sh\n",
    )
    plan.data("/etc/group", f"root:x:0:\nconveyor:x:{RUNNER_UID}:\n")
    plan.data("/etc/nsswitch.conf", "passwd: files\ngroup: files\nhosts: files dns\n")
    plan.directory("/root", 0o700)
    plan.directory("/tmp", 0o1777)
    plan.directory("/var/lib/conveyor", 0o1777)

    dist = os.path.join(repo, "packages", "cli", "dist")
    files, externals, manifest = bundle_closure(dist, node_builtins(node))
    required = externals - OPTIONAL_EXTERNALS
    app = "/opt/conveyor"
    for name in ("conveyor.js", "package.json"):
        plan.file(f"{app}/bin/{name}", os.path.join(repo, "packages", "cli", "bin", name))
    with open(os.path.join(repo, "package.json"), encoding="utf-8") as handle:
        product_version = json.load(handle)["version"]
    plan.data(
        f"{app}/package.json",
        json.dumps(
            {"name": "conveyor-runner-image", "version": product_version},
            indent=2,
        )
        + "\n",
    )
    for path in files:
        plan.file(f"{app}/dist/{os.path.relpath(path, dist)}", path, 0o644)
    plan.data(f"{app}/dist/bundle/manifest.json", json.dumps(manifest, indent=2) + "\n")
    for name in node_module_closure(repo, required):
        for current, _dirs, names in os.walk(os.path.join(repo, "node_modules", name)):
            for file_name in names:
                path = os.path.join(current, file_name)
                if os.path.isfile(path) and not os.path.islink(path):
                    relative = os.path.relpath(path, os.path.join(repo, "node_modules"))
                    plan.file(f"{app}/node_modules/{relative}", path)

    sources = sorted({source for kind, source, _ in plan.entries.values() if kind == "file"})
    plan.host_files = [s for s in sources if not s.startswith(repo + os.sep)]
    notes = {
        "node": version,
        "bundle_files": len(files),
        "externals_reachable": sorted(externals),
        "externals_left_out": sorted(externals & OPTIONAL_EXTERNALS),
    }
    return plan, notes


def pack(rootfs: str, tag: str, out: str) -> str:
    """mkimage.py's archive layout with a `User`; returns the image config's digest."""
    layer = mkimage.layer_bytes(rootfs)
    layer_digest = hashlib.sha256(layer).hexdigest()
    config = {
        "architecture": mkimage.GO_ARCH.get(os.uname().machine, os.uname().machine),
        "os": "linux",
        "created": "1970-01-01T00:00:00Z",
        "config": {
            "User": f"{RUNNER_UID}:{RUNNER_UID}",
            "Env": [
                "PATH=/usr/bin",
                "HOME=/var/lib/conveyor",
                "CONVEYOR_RUNNER_CONFIG=/var/lib/conveyor/runner.toml",
            ],
            "WorkingDir": "/var/lib/conveyor",
            "Entrypoint": ["/usr/bin/node", "/opt/conveyor/bin/conveyor.js"],
            "Cmd": ["runner", "run"],
        },
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + layer_digest]},
        "history": [
            {"created": "1970-01-01T00:00:00Z", "created_by": "scripts/k8s/runner-image.py"}
        ],
    }
    config_bytes = json.dumps(config, sort_keys=True).encode()
    config_digest = hashlib.sha256(config_bytes).hexdigest()
    layer_name = layer_digest + "/layer.tar"
    manifest = [{"Config": config_digest + ".json", "RepoTags": [tag], "Layers": [layer_name]}]
    tmp = out + ".tmp"
    with tarfile.open(tmp, mode="w", format=tarfile.PAX_FORMAT) as tar:
        directory = tarfile.TarInfo(layer_digest)
        directory.type = tarfile.DIRTYPE
        directory.mode = 0o755
        tar.addfile(directory)
        for name, data in (
            (config_digest + ".json", config_bytes),
            (layer_name, layer),
            ("manifest.json", json.dumps(manifest).encode()),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    os.replace(tmp, out)
    return "sha256:" + config_digest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", required=True)
    parser.add_argument("--tag", required=True)
    parser.add_argument("--cache", required=True)
    args = parser.parse_args()
    repo = os.path.realpath(args.repo)

    plan, notes = plan_image(repo)
    here = os.path.dirname(os.path.abspath(__file__))
    own = []
    for name in ("runner-image.py", "mkimage.py"):
        with open(os.path.join(here, name), encoding="utf-8") as handle:
            own.append(handle.read())
    key = plan.digest([args.tag, *own])[:24]
    safe_tag = re.sub(r"[^A-Za-z0-9_.-]", "_", args.tag)
    os.makedirs(args.cache, exist_ok=True)
    archive = os.path.join(args.cache, f"{safe_tag}-{key}.tar")
    digest_file = archive + ".config-digest"
    print(json.dumps(notes), file=sys.stderr)
    if os.path.isfile(archive) and os.path.isfile(digest_file):
        with open(digest_file, encoding="utf-8") as handle:
            print(f"{archive} {handle.read().strip()}")
        return
    rootfs = tempfile.mkdtemp(prefix="rootfs-", dir=args.cache)
    try:
        # Derived from the files already in the digest: written on a build only (dpkg is slow).
        plan.data("/etc/conveyor-runner-image.txt", provenance(plan.host_files))
        plan.materialize(rootfs)
        digest = pack(rootfs, args.tag, archive)
    finally:
        shutil.rmtree(rootfs, ignore_errors=True)
    with open(digest_file, "w", encoding="utf-8") as handle:
        handle.write(digest + "\n")
    # Older archives of the same tag are superseded.
    for name in os.listdir(args.cache):
        if name.startswith(f"{safe_tag}-") and not name.startswith(os.path.basename(archive)):
            os.remove(os.path.join(args.cache, name))
    print(f"{archive} {digest}")


if __name__ == "__main__":
    main()
