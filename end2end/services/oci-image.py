#!/usr/bin/env python3
"""Writes tiny test images into an OCI image layout, without a container engine.

    oci-image.py LAYOUT REPO TAG [TAG...]

With GENNAKER_IMAGE_BUILD set, its text is added to each image, so the same tag can be pushed
again with other content (and digests). Each TAG becomes one image (linux/amd64) whose only layer holds /hello.txt with the text
"REPO:TAG", so every tag has its own digests. The index names each image by its tag
(org.opencontainers.image.ref.name), which is what `skopeo copy oci:LAYOUT:TAG ...` looks up.
The output is byte-for-byte reproducible: fixed timestamps, owners and gzip headers.
The layout directory is replaced as a whole.
"""
import gzip
import hashlib
import io
import json
import os
import shutil
import sys
import tarfile

# 2024-01-01T00:00:00Z: any fixed time keeps the digests stable between runs.
EPOCH = 1704067200
CREATED = "2024-01-01T00:00:00Z"

MEDIA_INDEX = "application/vnd.oci.image.index.v1+json"
MEDIA_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MEDIA_CONFIG = "application/vnd.oci.image.config.v1+json"
MEDIA_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def canonical_json(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


class Layout:
    def __init__(self, path):
        self.path = path
        self.blobs = os.path.join(path, "blobs", "sha256")
        os.makedirs(self.blobs)

    def blob(self, media_type, data):
        """Stores data as a blob and returns its descriptor."""
        digest = sha256(data)
        with open(os.path.join(self.blobs, digest.split(":", 1)[1]), "wb") as f:
            f.write(data)
        return {"mediaType": media_type, "digest": digest, "size": len(data)}


def layer_tar(name, text):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        data = text.encode()
        info = tarfile.TarInfo(name)
        info.size = len(data)
        info.mtime = EPOCH
        info.mode = 0o644
        info.uid = info.gid = 0
        info.uname = info.gname = "root"
        tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def image(layout, repo, tag):
    """Writes one image's blobs and returns its manifest's descriptor."""
    text = f"{repo}:{tag}\n"
    # GENNAKER_IMAGE_BUILD: another build of the same tag, with its own digest.
    build = os.environ.get("GENNAKER_IMAGE_BUILD", "")
    if build:
        text += f"build {build}\n"
    tar = layer_tar("hello.txt", text)
    layer = layout.blob(MEDIA_LAYER, gzip.compress(tar, mtime=0))
    config = {
        "created": CREATED,
        "architecture": "amd64",
        "os": "linux",
        "config": {
            "Cmd": ["/bin/cat", "/hello.txt"],
            "WorkingDir": "/",
            "Labels": {"org.opencontainers.image.version": tag},
        },
        "rootfs": {"type": "layers", "diff_ids": [sha256(tar)]},
        "history": [{"created": CREATED, "created_by": f"oci-image.py {repo} {tag}"}],
    }
    config_desc = layout.blob(MEDIA_CONFIG, canonical_json(config))
    manifest = {
        "schemaVersion": 2,
        "mediaType": MEDIA_MANIFEST,
        "config": config_desc,
        "layers": [layer],
    }
    desc = layout.blob(MEDIA_MANIFEST, canonical_json(manifest))
    desc["platform"] = {"architecture": "amd64", "os": "linux"}
    desc["annotations"] = {"org.opencontainers.image.ref.name": tag}
    return desc


def main(argv):
    if len(argv) < 4:
        sys.exit("usage: oci-image.py LAYOUT REPO TAG [TAG...]")
    path, repo, tags = argv[1], argv[2], argv[3:]
    if len(set(tags)) != len(tags):
        sys.exit("oci-image.py: a tag is named twice")
    shutil.rmtree(path, ignore_errors=True)
    layout = Layout(path)
    manifests = [image(layout, repo, tag) for tag in tags]
    with open(os.path.join(path, "oci-layout"), "wb") as f:
        f.write(canonical_json({"imageLayoutVersion": "1.0.0"}))
    index = {"schemaVersion": 2, "mediaType": MEDIA_INDEX, "manifests": manifests}
    with open(os.path.join(path, "index.json"), "wb") as f:
        f.write(canonical_json(index))


if __name__ == "__main__":
    main(sys.argv)
