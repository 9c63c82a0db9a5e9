#!/usr/bin/env python3
"""Packs a root filesystem directory into a one-layer image archive for `ctr images import`.

Conveyor's Kubernetes test rig runs where no image registry is reachable, so its images (the
pod sandbox "pause" image and a busybox image) are built from local files. This writes the
"docker save" archive layout, which containerd's importer reads:
  manifest.json  [{"Config": "<config>.json", "RepoTags": [tag], "Layers": ["<layer>/layer.tar"]}]
  <config>.json  the image configuration (architecture, os, config.Entrypoint/Cmd/Env, rootfs)
  <layer>/layer.tar  the root filesystem as an uncompressed tar
Layout: https://github.com/moby/moby/blob/v20.10.24/image/spec/v1.2.md (image JSON, and
"Combined Image JSON + Filesystem Changeset Format"). The archive is reproducible: entries are
sorted, owned by 0:0 and dated at the epoch.

usage: mkimage.py --rootfs DIR --tag NAME:TAG --out FILE.tar
                  [--entrypoint JSON-ARRAY] [--cmd JSON-ARRAY] [--env K=V ...] [--workdir DIR]
Standard library only.
"""

import argparse
import hashlib
import io
import json
import os
import platform
import sys
import tarfile

GO_ARCH = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "s390x": "s390x", "ppc64le": "ppc64le"}


def layer_bytes(rootfs: str) -> bytes:
    """The root filesystem as a tar: directories, regular files and symbolic links, sorted."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        paths = []
        for current, dirs, files in os.walk(rootfs):
            dirs.sort()
            for name in sorted(dirs + files):
                paths.append(os.path.join(current, name))
        for path in sorted(paths, key=lambda p: os.path.relpath(p, rootfs)):
            info = tar.gettarinfo(path, arcname=os.path.relpath(path, rootfs))
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.mtime = 0
            if info.isreg():
                with open(path, "rb") as handle:
                    tar.addfile(info, handle)
            elif info.isdir() or info.issym():
                tar.addfile(info)
            else:
                sys.exit(f"mkimage.py: {path}: only directories, files and symbolic links are packed")
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rootfs", required=True)
    parser.add_argument("--tag", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--entrypoint", type=json.loads, default=None)
    parser.add_argument("--cmd", type=json.loads, default=None)
    parser.add_argument("--env", action="append", default=[])
    parser.add_argument("--workdir", default="/")
    args = parser.parse_args()

    layer = layer_bytes(args.rootfs)
    layer_digest = hashlib.sha256(layer).hexdigest()
    container_config = {"Env": args.env, "WorkingDir": args.workdir}
    if args.entrypoint is not None:
        container_config["Entrypoint"] = args.entrypoint
    if args.cmd is not None:
        container_config["Cmd"] = args.cmd
    config = {
        "architecture": GO_ARCH.get(platform.machine(), platform.machine()),
        "os": "linux",
        "created": "1970-01-01T00:00:00Z",
        "config": container_config,
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + layer_digest]},
        "history": [{"created": "1970-01-01T00:00:00Z", "created_by": "scripts/k8s/mkimage.py"}],
    }
    config_bytes = json.dumps(config, sort_keys=True).encode()
    config_name = hashlib.sha256(config_bytes).hexdigest() + ".json"
    layer_name = layer_digest + "/layer.tar"
    manifest = [{"Config": config_name, "RepoTags": [args.tag], "Layers": [layer_name]}]

    tmp = args.out + ".tmp"
    with tarfile.open(tmp, mode="w", format=tarfile.PAX_FORMAT) as tar:
        directory = tarfile.TarInfo(layer_digest)
        directory.type = tarfile.DIRTYPE
        directory.mode = 0o755
        tar.addfile(directory)
        for name, data in (
            (config_name, config_bytes),
            (layer_name, layer),
            ("manifest.json", json.dumps(manifest).encode()),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    os.replace(tmp, args.out)
    print(args.out)


if __name__ == "__main__":
    main()
