"""The data loader: hashes, cache, mirror, download and safe extraction. No network needed."""

import hashlib
import io
import os
import tarfile
import urllib.request
import zipfile
from pathlib import Path

import pytest

from utils import data


def sha256(content: bytes) -> str:
    return "sha256:" + hashlib.sha256(content).hexdigest()


def write_registry(tmp_path: Path, entries: str) -> Path:
    path = tmp_path / "registry.toml"
    path.write_text(entries, encoding="utf-8")
    return path


@pytest.fixture
def env(tmp_path, monkeypatch):
    """A private cache, no mirror, and a registry of small made-up data sets."""
    cache, mirror = tmp_path / "cache", tmp_path / "mirror"
    mirror.mkdir()
    monkeypatch.setenv(data.CACHE_ENV, str(cache))
    monkeypatch.delenv(data.MIRROR_ENV, raising=False)
    source = tmp_path / "origin"
    source.mkdir()
    return {"cache": cache, "mirror": mirror, "origin": source, "tmp": tmp_path, "monkeypatch": monkeypatch}


def use_registry(env, text: str) -> None:
    env["monkeypatch"].setattr(data, "REGISTRY_PATH", write_registry(env["tmp"], text))


def text_entry(name: str, url: str, content: bytes, file: str = "corpus.txt") -> str:
    return f"""
[{name}]
title = "t"
url = "{url}"
file = "{file}"
hash = "{sha256(content)}"
main = "{file}"
licence = "l"
credit = "c"
"""


def test_real_registry_lists_the_course_data_sets():
    assert {"timemachine", "fra-eng", "tinyshakespeare", "ridership"} <= set(data.registry())
    for d in data.registry().values():
        assert d.url.startswith("http") and ":" in d.hash and d.main


def test_unknown_name_lists_known_ones():
    with pytest.raises(data.DataError, match="unknown data set 'nope'.*timemachine"):
        data.download("nope")


def test_mirror_copy_is_verified_and_cached(env):
    content = b"hello sequences\n"
    use_registry(env, text_entry("toy", "http://example.invalid/x", content))
    (env["mirror"] / "corpus.txt").write_bytes(content)
    env["monkeypatch"].setenv(data.MIRROR_ENV, str(env["mirror"]))
    path = data.download("toy")
    assert path == env["cache"] / "corpus.txt" and path.read_bytes() == content
    (env["mirror"] / "corpus.txt").unlink()  # now served from the cache
    assert data.read_text("toy") == content.decode()


def test_mirror_file_with_wrong_hash_is_refused_and_not_cached(env):
    use_registry(env, text_entry("toy", "http://example.invalid/x", b"expected"))
    (env["mirror"] / "corpus.txt").write_bytes(b"tampered")
    env["monkeypatch"].setenv(data.MIRROR_ENV, str(env["mirror"]))
    with pytest.raises(data.HashMismatchError, match="expected sha256 .* got "):
        data.download("toy")
    assert not (env["cache"] / "corpus.txt").exists()
    assert [p.name for p in env["cache"].iterdir()] == []  # no temporary file left either


def test_missing_mirror_file_names_the_variable(env):
    use_registry(env, text_entry("toy", "http://example.invalid/x", b"x"))
    env["monkeypatch"].setenv(data.MIRROR_ENV, str(env["mirror"]))
    with pytest.raises(data.DataError, match=f"not in the mirror.*unset {data.MIRROR_ENV}"):
        data.download("toy")


def test_mirror_that_is_not_a_directory(env):
    use_registry(env, text_entry("toy", "http://example.invalid/x", b"x"))
    env["monkeypatch"].setenv(data.MIRROR_ENV, str(env["tmp"] / "nowhere"))
    with pytest.raises(data.DataError, match="is not a directory"):
        data.download("toy")


def test_download_from_url_is_verified_and_cached(env):
    content = b"downloaded text"
    origin = env["origin"] / "file.txt"
    origin.write_bytes(content)
    use_registry(env, text_entry("toy", origin.as_uri(), content))
    assert data.download("toy").read_bytes() == content


def test_download_with_wrong_hash_leaves_nothing(env):
    origin = env["origin"] / "file.txt"
    origin.write_bytes(b"not what the registry says")
    use_registry(env, text_entry("toy", origin.as_uri(), b"the real thing"))
    with pytest.raises(data.HashMismatchError):
        data.download("toy")
    assert list(env["cache"].iterdir()) == []


def test_no_network_and_no_mirror_says_what_to_do(env):
    use_registry(env, text_entry("toy", (env["origin"] / "missing.txt").as_uri(), b"x"))
    with pytest.raises(data.DataError, match=f"could not download .*{data.MIRROR_ENV}"):
        data.download("toy")
    assert list(env["cache"].iterdir()) == []


def test_interrupted_download_leaves_no_partial_file(env, monkeypatch):
    use_registry(env, text_entry("toy", "http://example.invalid/x", b"x" * 100))

    class Broken(io.BytesIO):
        def read(self, *args):
            if self.tell() > 10:
                raise ConnectionResetError("connection reset")
            return super().read(5)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout: Broken(b"x" * 100))
    with pytest.raises(data.DataError, match="connection reset"):
        data.download("toy")
    assert list(env["cache"].iterdir()) == []


def test_damaged_cached_file_is_fetched_again(env):
    content = b"good"
    use_registry(env, text_entry("toy", "http://example.invalid/x", content))
    env["cache"].mkdir()
    (env["cache"] / "corpus.txt").write_bytes(b"bad")
    (env["mirror"] / "corpus.txt").write_bytes(content)
    env["monkeypatch"].setenv(data.MIRROR_ENV, str(env["mirror"]))
    assert data.download("toy").read_bytes() == content


# --- archives --------------------------------------------------------------------------

def make_zip(path: Path, members: dict[str, bytes]) -> bytes:
    with zipfile.ZipFile(path, "w") as zf:
        for name, content in members.items():
            zf.writestr(name, content)
    return path.read_bytes()


def make_tar(path: Path, members: dict[str, bytes], links: dict[str, str] | None = None, hard: bool = False):
    with tarfile.open(path, "w:gz") as tf:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tf.addfile(info, io.BytesIO(content))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.LNKTYPE if hard else tarfile.SYMTYPE
            info.linkname = target
            tf.addfile(info)
    return path.read_bytes()


def archive_entry(name: str, url: str, archive_bytes: bytes, file: str, members: dict[str, bytes]) -> str:
    lines = "\n".join(f'"{m}" = "{sha256(c)}"' for m, c in members.items())
    return f"""
[{name}]
title = "t"
url = "{url}"
file = "{file}"
hash = "{sha256(archive_bytes)}"
main = "{next(iter(members))}"
licence = "l"
credit = "c"

[{name}.members]
{lines}
"""


@pytest.mark.parametrize("kind", ["zip", "tgz"])
def test_archive_download_is_extracted_and_members_verified(env, kind):
    members = {"pairs/data.txt": b"a\tb\n", "pairs/_about.txt": b"credits"}
    origin = env["origin"] / f"pairs.{kind}"
    blob = make_zip(origin, members) if kind == "zip" else make_tar(origin, members)
    use_registry(env, archive_entry("pairs", origin.as_uri(), blob, f"pairs.{kind}", members))
    path = data.download("pairs")
    assert path.read_bytes() == b"a\tb\n"
    assert (env["cache"] / "pairs/_about.txt").read_bytes() == b"credits"


def test_mirror_may_hold_only_the_extracted_members(env):
    members = {"pairs/data.txt": b"a\tb\n"}
    use_registry(env, archive_entry("pairs", "http://example.invalid/p.zip", b"zip we never see", "p.zip", members))
    (env["mirror"] / "pairs").mkdir()
    (env["mirror"] / "pairs/data.txt").write_bytes(b"a\tb\n")
    env["monkeypatch"].setenv(data.MIRROR_ENV, str(env["mirror"]))
    assert data.download("pairs").read_bytes() == b"a\tb\n"


def test_extracted_member_with_wrong_hash_is_refused(env):
    origin = env["origin"] / "p.zip"
    blob = make_zip(origin, {"pairs/data.txt": b"changed"})
    use_registry(env, archive_entry("pairs", origin.as_uri(), blob, "p.zip", {"pairs/data.txt": b"original"}))
    with pytest.raises(data.HashMismatchError, match="p.zip:pairs/data.txt"):
        data.download("pairs")
    assert not (env["cache"] / "pairs/data.txt").exists()


@pytest.mark.parametrize("evil", ["../evil.txt", "/etc/evil.txt", "ok/../../evil.txt"])
@pytest.mark.parametrize("kind", ["zip", "tgz"])
def test_archive_members_escaping_the_target_are_refused(tmp_path, evil, kind):
    archive = tmp_path / f"bad.{kind}"
    if kind == "zip":
        make_zip(archive, {"fine.txt": b"x", evil: b"gotcha"})
    else:
        make_tar(archive, {"fine.txt": b"x", evil: b"gotcha"})
    target = tmp_path / "out"
    with pytest.raises(data.UnsafeArchiveError, match="outside the target"):
        data.extract(archive, target)
    assert not (tmp_path / "evil.txt").exists() and not (target / "fine.txt").exists()


@pytest.mark.parametrize("link,hard", [("../../outside", False), ("/etc/passwd", False), ("../x", True)])
def test_tar_links_pointing_outside_are_refused(tmp_path, link, hard):
    archive = tmp_path / "links.tgz"
    make_tar(archive, {"a.txt": b"x"}, links={"sub/link": link}, hard=hard)
    with pytest.raises(data.UnsafeArchiveError, match="points outside"):
        data.extract(archive, tmp_path / "out")


def test_tar_link_inside_the_target_is_allowed(tmp_path):
    archive = tmp_path / "ok.tgz"
    make_tar(archive, {"dir/a.txt": b"x"}, links={"dir/b.txt": "a.txt"})
    data.extract(archive, tmp_path / "out")
    assert (tmp_path / "out/dir/a.txt").read_bytes() == b"x"


def test_zip_symlink_is_refused(tmp_path):
    archive = tmp_path / "link.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        info = zipfile.ZipInfo("link")
        info.external_attr = (0o120777 << 16)
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(data.UnsafeArchiveError, match="is a link"):
        data.extract(archive, tmp_path / "out")


def test_malformed_archive_is_refused(tmp_path):
    archive = tmp_path / "junk.tgz"
    archive.write_bytes(b"this is no archive")
    with pytest.raises(data.DataError, match="neither a zip nor a tar"):
        data.extract(archive, tmp_path / "out")


def test_credits_name_every_data_set():
    text = data.credits()
    for name in data.registry():
        assert f"**{name}**" in text


@pytest.mark.skipif(not os.environ.get(data.MIRROR_ENV), reason=f"{data.MIRROR_ENV} is not set")
@pytest.mark.parametrize("name", ["timemachine", "fra-eng", "tinyshakespeare", "ridership"])
def test_every_course_data_set_loads_from_the_mirror(name):
    path = data.download(name)
    assert path.is_file() and path.stat().st_size > 100_000
