"""Download, verify and cache the course's data sets (taught in chapter 00).

Every data set is listed in ``datasets/registry.toml`` with its download address (a public
copy; the registry credits the original publisher) and hashes.
``download(name)`` returns the path of a verified local copy:

1. a cached copy (in ``datasets/cache/`` or ``$RNN_COURSE_CACHE``) is re-verified and used;
2. otherwise, if ``$RNN_COURSE_MIRROR`` names a directory laid out like the cache, the
   file comes from there and the network is not touched;
3. otherwise the file is downloaded from its address in the registry.

Whatever the source, a file is checked against its hash before it lands in the cache,
and it lands atomically: a failed or interrupted transfer leaves nothing behind.
Archives are extracted only if none of their members could escape the target folder.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import tempfile
import tomllib
import urllib.request
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from utils.course import ROOT

MIRROR_ENV = "RNN_COURSE_MIRROR"
CACHE_ENV = "RNN_COURSE_CACHE"
REGISTRY_PATH = ROOT / "datasets" / "registry.toml"
DEFAULT_CACHE = ROOT / "datasets" / "cache"


class DataError(RuntimeError):
    """A data set could not be provided; the message says what to do."""


class HashMismatchError(DataError):
    """A file's content is not what the registry says it should be."""


class UnsafeArchiveError(DataError):
    """An archive holds a member that would land outside the extraction folder."""


@dataclass(frozen=True)
class Dataset:
    """One entry of the registry."""

    name: str
    title: str
    url: str
    file: str
    hash: str
    main: str
    licence: str
    credit: str
    members: dict[str, str] = field(default_factory=dict)

    @property
    def is_archive(self) -> bool:
        return bool(self.members)


def registry(path: Path | None = None) -> dict[str, Dataset]:
    """All data sets of the course, by name (from ``datasets/registry.toml`` unless ``path`` is given)."""
    with open(path or REGISTRY_PATH, "rb") as f:
        raw = tomllib.load(f)
    return {name: Dataset(name=name, **entry) for name, entry in raw.items()}


def get_dataset(name: str, path: Path | None = None) -> Dataset:
    known = registry(path)
    if name not in known:
        raise DataError(f"unknown data set {name!r}; the known ones are: {', '.join(sorted(known))}")
    return known[name]


def cache_dir() -> Path:
    return Path(os.environ.get(CACHE_ENV) or DEFAULT_CACHE)


def mirror_dir() -> Path | None:
    value = os.environ.get(MIRROR_ENV)
    return Path(value).expanduser() if value else None


def file_digest(path: Path, algorithm: str = "sha256") -> str:
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def matches(path: Path, expected: str) -> bool:
    """Whether ``path`` has the ``"<algorithm>:<digest>"`` ``expected``."""
    algorithm, _, digest = expected.partition(":")
    return file_digest(path, algorithm) == digest


def verify(path: Path, expected: str, shown_as: str | None = None) -> None:
    """Raise :class:`HashMismatchError` if ``path`` does not have hash ``expected``."""
    algorithm, _, digest = expected.partition(":")
    actual = file_digest(path, algorithm)
    if actual != digest:
        raise HashMismatchError(
            f"{shown_as or path} has the wrong content: expected {algorithm} {digest}, "
            f"got {actual}. The bad copy was not kept; fetch the file again "
            f"(or fix the copy in ${MIRROR_ENV})."
        )


def _write_verified(target: Path, expected: str, shown_as: str, write) -> None:
    """Let ``write(file)`` fill a temporary file beside ``target``; verify it, then rename it into place.

    Whatever goes wrong (an exception in ``write`` or a wrong hash), no file is left behind.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    tmp_path = Path(tmp)
    try:
        with os.fdopen(fd, "wb") as out:
            write(out)
        verify(tmp_path, expected, shown_as)
        os.replace(tmp_path, target)
    finally:
        tmp_path.unlink(missing_ok=True)


def _place_verified(source_path: Path, target: Path, expected: str, shown_as: str) -> None:
    """Copy ``source_path`` to ``target``, verified before it lands."""

    def copy(out):
        with open(source_path, "rb") as src:
            shutil.copyfileobj(src, out)

    _write_verified(target, expected, shown_as, copy)


def _fetch_url(url: str, target: Path, expected: str, timeout: float = 60) -> None:
    """Download ``url`` to ``target``, verified before it lands."""

    def download_into(out):
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                shutil.copyfileobj(response, out)
        except OSError as error:  # URLError, timeouts and refused connections are all OSErrors
            raise DataError(
                f"could not download {url} ({error}). Check your network connection, or set "
                f"{MIRROR_ENV} to a directory that holds a copy laid out as datasets/README.md "
                f"describes."
            ) from None

    _write_verified(target, expected, url, download_into)


def _check_member_name(name: str, archive: Path) -> PurePosixPath:
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or (path.parts and ":" in path.parts[0]):
        raise UnsafeArchiveError(
            f"refusing to extract {archive.name}: member {name!r} would land outside the "
            f"target folder. The archive is not trustworthy; delete it and fetch it again."
        )
    return path


def _check_archive(archive: Path) -> None:
    """Refuse archives whose members could escape the folder they are extracted into."""
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                _check_member_name(info.filename, archive)
                if (info.external_attr >> 16) & 0o170000 == 0o120000:  # a symbolic link
                    raise UnsafeArchiveError(
                        f"refusing to extract {archive.name}: member {info.filename!r} is a link."
                    )
        return
    try:
        with tarfile.open(archive) as tf:
            for member in tf.getmembers():
                path = _check_member_name(member.name, archive)
                if member.issym() or member.islnk():
                    link = PurePosixPath(member.linkname)
                    resolved = link if member.islnk() else path.parent / link
                    if link.is_absolute() or ".." in PurePosixPath(os.path.normpath(resolved)).parts:
                        raise UnsafeArchiveError(
                            f"refusing to extract {archive.name}: link {member.name!r} points "
                            f"outside the target folder ({member.linkname!r})."
                        )
                elif not (member.isfile() or member.isdir()):
                    raise UnsafeArchiveError(
                        f"refusing to extract {archive.name}: member {member.name!r} is a device or fifo."
                    )
    except tarfile.TarError as error:
        raise DataError(f"{archive} is neither a zip nor a tar archive ({error}); delete it and fetch it again.") \
            from None


def extract(archive: Path, target: Path) -> None:
    """Extract a zip or tar archive into ``target`` after checking every member is safe."""
    _check_archive(archive)
    target.mkdir(parents=True, exist_ok=True)
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(target)
    else:
        with tarfile.open(archive) as tf:
            tf.extractall(target, filter="data")


def _members_cached(dataset: Dataset, cache: Path) -> bool:
    """Whether every member is in the cache with the right hash; bad copies are removed."""
    for member, expected in dataset.members.items():
        path = cache / member
        if not path.is_file():
            return False
        if not matches(path, expected):
            path.unlink()
            return False
    return True


def _unpack(dataset: Dataset, archive: Path, cache: Path) -> None:
    """Extract ``archive`` to a scratch folder, verify the members, then move them in place."""
    with tempfile.TemporaryDirectory(dir=cache, prefix=".extract-") as scratch:
        extract(archive, Path(scratch))
        for member, expected in dataset.members.items():
            extracted = Path(scratch) / member
            if not extracted.is_file():
                raise DataError(f"{archive.name} has no member {member!r}; the archive is not the expected one.")
            _place_verified(extracted, cache / member, expected, shown_as=f"{archive.name}:{member}")


def download(name: str) -> Path:
    """Return the path of a verified local copy of data set ``name``'s main file.

    Raises :class:`DataError` (with what to do) when no verified copy can be had.
    """
    dataset = get_dataset(name)
    cache = cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    main = cache / dataset.main

    if dataset.is_archive and _members_cached(dataset, cache):
        return main
    if not dataset.is_archive and main.is_file():
        if matches(main, dataset.hash):
            return main
        main.unlink()  # a damaged cached copy is fetched again

    archive = cache / dataset.file
    if dataset.is_archive and archive.is_file() and not matches(archive, dataset.hash):
        archive.unlink()

    mirror = mirror_dir()
    if mirror is not None:
        if not mirror.is_dir():
            raise DataError(f"{MIRROR_ENV}={mirror} is not a directory; point it at a data mirror or unset it.")
        if dataset.is_archive and all((mirror / m).is_file() for m in dataset.members):
            for member, expected in dataset.members.items():  # the mirror holds the extracted files
                _place_verified(mirror / member, cache / member, expected, shown_as=str(mirror / member))
            return main
        if not (mirror / dataset.file).is_file():
            wanted = [dataset.file, *dataset.members]
            raise DataError(
                f"data set {name!r} is not in the mirror {mirror} (looked for {', '.join(wanted)}). "
                f"Copy it there, or unset {MIRROR_ENV} to download it from {dataset.url}."
            )
        if not archive.is_file():
            _place_verified(mirror / dataset.file, archive, dataset.hash, shown_as=str(mirror / dataset.file))
    elif not (dataset.is_archive and archive.is_file()):
        _fetch_url(dataset.url, cache / dataset.file, dataset.hash)

    if dataset.is_archive:
        _unpack(dataset, archive, cache)
    return main


def read_text(name: str) -> str:
    """The main file of data set ``name`` as text (UTF-8)."""
    return download(name).read_text(encoding="utf-8")


def credits() -> str:
    """One Markdown line per data set: title, licence and credit."""
    return "\n".join(
        f"- **{d.name}**: {d.title}. Licence: {d.licence}. Credit: {d.credit}. Source: <{d.url}>"
        for d in registry().values()
    )
