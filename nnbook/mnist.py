"""MNIST handwritten digits: the four standard IDX files, read with NumPy.

    from nnbook import mnist
    images, labels = mnist.load("train")   # (60000, 28, 28) uint8 and (60000,) uint8
    images, labels = mnist.load("test")    # (10000, 28, 28) uint8 and (10000,) uint8

**Where the files are looked for**, first match wins: the ``data_dir`` argument; the environment
variable ``NNBOOK_MNIST_DIR``; the cache folder :func:`default_dir` (``~/.cache/nnbook/mnist`` on
Linux). Each file may be kept gzip-compressed (``t10k-images-idx3-ubyte.gz``, as published) or
uncompressed (``t10k-images-idx3-ubyte``).

**Downloads.** A missing file is downloaded from :data:`MIRRORS` in turn, with a progress bar,
into that folder. Every file, downloaded or found, must match the published checksums: the
SHA-256 of the archive, or (for a copy that was decompressed or compressed again) the MD5 of its
content. ``download=False`` or ``NNBOOK_MNIST_DOWNLOAD=0`` switches downloading off, so that
builds and tests never depend on the network.

**Errors.** When files are missing and cannot be downloaded, one :class:`MNISTNotFoundError`
names every missing file, the folder searched, why downloading failed and how to place the files
by hand. A truncated or corrupt file raises :class:`IDXFormatError`, a file that is not the
published one :class:`ChecksumError`: never a silently wrong array. The first line of every
message names no path, so a notebook can print it and stay the same on every machine.

:func:`load_book_data` is the data policy of the MNIST chapter: all of MNIST when the four files
are there; else the 10,000 test images split 8,000 / 2,000; else scikit-learn's 8 x 8 digits.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import sys
import urllib.error
import urllib.request
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ENV_DIR = "NNBOOK_MNIST_DIR"
ENV_DOWNLOAD = "NNBOOK_MNIST_DOWNLOAD"

#: Where the files are published; each file is tried on each mirror in turn.
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)

#: Seconds to wait for a mirror before trying the next one.
TIMEOUT = 30


@dataclass(frozen=True)
class FileInfo:
    """One published file: its checksums and what it must contain."""

    archive_sha256: str  # of the .gz file as published
    archive_md5: str  # the same file's MD5, as torchvision and most tools list it (reference)
    content_md5: str  # of the decompressed IDX data
    shape: tuple[int, ...]


FILES = {
    "train-images-idx3-ubyte.gz": FileInfo(
        "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        "f68b3c2dcbeaaa9fbdd348bbdeb94873", "6bbc9ace898e44ae57da46a324031adb",
        (60000, 28, 28)),
    "train-labels-idx1-ubyte.gz": FileInfo(
        "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        "d53e105ee54ea40749a09fcbcd1e9432", "a25bea736e30d166cdddb491f175f624",
        (60000,)),
    "t10k-images-idx3-ubyte.gz": FileInfo(
        "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        "9fb629c4189551a2d022fa330f9573f3", "2646ac647ad5339dbf082846283269ea",
        (10000, 28, 28)),
    "t10k-labels-idx1-ubyte.gz": FileInfo(
        "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        "ec29112dd5afa0611ce80d1b7f02629c", "27ae3e4e09519cfbb04c329615203637",
        (10000,)),
}

#: The (images, labels) files of each part.
PARTS = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}

# IDX type codes (the third byte of the magic number) and the data they hold, big-endian.
IDX_TYPES = {0x08: np.dtype("u1"), 0x09: np.dtype("i1"), 0x0B: np.dtype(">i2"),
             0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
IMAGES_MAGIC, LABELS_MAGIC = 0x00000803, 0x00000801


class MNISTError(Exception):
    """Something is wrong with the MNIST files; the message says what and how to fix it."""


class MNISTNotFoundError(MNISTError, FileNotFoundError):
    """Files are missing and could not be downloaded."""

    def __init__(self, message: str, missing: list[str], folder: Path):
        super().__init__(message)
        self.missing = missing
        self.folder = folder


class IDXFormatError(MNISTError, ValueError):
    """A file that is not valid (gzip-compressed) IDX: truncated, corrupt, wrong magic number."""


class ChecksumError(MNISTError, ValueError):
    """A file whose checksum is not the published one."""


# -- where the files are ----------------------------------------------------------------------
def default_dir() -> Path:
    """The cache folder used when neither an argument nor ``NNBOOK_MNIST_DIR`` says otherwise."""
    home = Path.home()
    if os.name == "nt":
        base = Path(os.environ.get("LOCALAPPDATA") or home / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = home / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or home / ".cache")
    return base / "nnbook" / "mnist"


def resolve_dir(path: str | os.PathLike | None = None) -> Path:
    """The data folder: ``path`` if given, else ``$NNBOOK_MNIST_DIR``, else the cache folder."""
    if path is not None:
        return Path(path).expanduser()
    if os.environ.get(ENV_DIR):
        return Path(os.environ[ENV_DIR]).expanduser()
    return default_dir()


def downloads_enabled(download: bool | None = None) -> bool:
    """``download`` if given, else false when ``NNBOOK_MNIST_DOWNLOAD`` is 0/false/no/off."""
    if download is not None:
        return bool(download)
    value = os.environ.get(ENV_DOWNLOAD, "1").strip().lower()
    return value not in ("0", "false", "no", "off")


def _where(folder: Path, argument) -> str:
    if argument is not None:
        return f"{folder} (the data_dir argument)"
    if os.environ.get(ENV_DIR):
        return f"{folder} (from the environment variable {ENV_DIR})"
    return (f"{folder} (the default cache folder; set the environment variable {ENV_DIR} or "
            "pass data_dir= to use another folder)")


def find(name: str, folder: Path) -> Path | None:
    """The file ``name`` in ``folder``, compressed or not; None when neither is there."""
    for candidate in (folder / name, folder / name.removesuffix(".gz")):
        if candidate.is_file():
            return candidate
    return None


def missing_files(folder: str | os.PathLike | None = None,
                  names: tuple[str, ...] | list[str] = tuple(FILES)) -> list[str]:
    """The files of ``names`` that are not in ``folder`` (default: :func:`resolve_dir`)."""
    where = resolve_dir(folder)
    return [name for name in names if find(name, where) is None]


# -- reading IDX --------------------------------------------------------------------------------
def _read_bytes(path: Path, compressed: bool | None = None) -> tuple[bytes, bytes]:
    """The file's bytes as stored and its IDX content (decompressed when ``compressed``, which
    by default is whether the name ends in ``.gz``)."""
    raw = path.read_bytes()
    if not (path.name.endswith(".gz") if compressed is None else compressed):
        return raw, raw
    try:
        return raw, gzip.decompress(raw)
    except EOFError:
        problem = "is truncated: its gzip stream ends early (an interrupted download?)"
    except (gzip.BadGzipFile, zlib.error, OSError) as error:
        problem = f"is not a valid gzip file ({error})"
    raise IDXFormatError(f"{path.name} {problem}.\n"
                         f"File: {path}\n"
                         "Delete it and load again to download it anew, or replace it by a "
                         "good copy.")


def parse_idx(content: bytes, name: str = "IDX data") -> np.ndarray:
    """The array held by IDX ``content`` (already decompressed).

    The header is two zero bytes, a type code, the number of dimensions, then each dimension as
    a big-endian 32-bit integer; the data follow, exactly as many bytes as the dimensions say.
    Anything else raises :class:`IDXFormatError`.
    """
    if len(content) < 4:
        raise IDXFormatError(f"{name} is too short to be IDX: {len(content)} bytes, not even "
                             "a 4-byte magic number.")
    zero, type_code, ndim = int.from_bytes(content[:2], "big"), content[2], content[3]
    if zero != 0 or type_code not in IDX_TYPES or ndim == 0:
        raise IDXFormatError(
            f"{name} does not start with an IDX magic number: got "
            f"0x{int.from_bytes(content[:4], 'big'):08X}, expected 0x000008NN (0x00000803 for "
            "images, 0x00000801 for labels).")
    header = 4 + 4 * ndim
    if len(content) < header:
        raise IDXFormatError(f"{name} is truncated inside its header: {ndim} dimensions need "
                             f"{header} bytes, the file has {len(content)}.")
    shape = tuple(int.from_bytes(content[4 + 4 * k: 8 + 4 * k], "big") for k in range(ndim))
    dtype = IDX_TYPES[type_code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    got = len(content) - header
    if got < expected:
        raise IDXFormatError(f"{name} is truncated: its header announces shape {shape}, "
                             f"{expected:,} bytes of data, but only {got:,} follow.")
    if got > expected:
        raise IDXFormatError(f"{name} is corrupt: its header announces shape {shape}, "
                             f"{expected:,} bytes of data, but {got:,} follow.")
    array = np.frombuffer(content, dtype=dtype, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="), copy=True)


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """The array in an IDX file, gzip-compressed (``.gz``) or not."""
    path = Path(path)
    return parse_idx(_read_bytes(path)[1], path.name)


def verify(name: str, stored: bytes, content: bytes, path: Path | str) -> None:
    """Raise :class:`ChecksumError` unless the file is the published ``name``.

    The published archive has a known SHA-256. A copy that was decompressed, or compressed
    again (other gzip settings give other bytes), is accepted when its content has the
    published MD5.
    """
    info = FILES[name]
    if hashlib.sha256(stored).hexdigest() == info.archive_sha256:
        return
    if hashlib.md5(content).hexdigest() == info.content_md5:
        return
    raise ChecksumError(
        f"{name} is not the published MNIST file: its checksum does not match (a damaged "
        "download, or another data set with the same file names, such as Fashion-MNIST?).\n"
        f"File: {path}\n"
        f"Expected SHA-256 {info.archive_sha256} for the archive, or MD5 {info.content_md5} "
        "for its decompressed content.\n"
        "Delete it and load again to download it anew, or replace it by a good copy.")


def read_file(name: str, folder: Path, *, check: bool = True) -> np.ndarray:
    """The array in the standard file ``name`` found in ``folder``, verified when ``check``."""
    path = find(name, folder)
    if path is None:
        raise MNISTNotFoundError(f"{name} is missing.\nLooked in: {folder}", [name], folder)
    stored, content = _read_bytes(path)
    if check:
        verify(name, stored, content, path)
    return parse_idx(content, path.name)


# -- downloading --------------------------------------------------------------------------------
def fetch(url: str, destination: Path, *, timeout: float = TIMEOUT) -> None:
    """Copy ``url`` (http, https or file) to ``destination``, with a progress bar."""
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover - tqdm is in requirements.txt
        tqdm = None
    with urllib.request.urlopen(url, timeout=timeout) as response, \
            open(destination, "wb") as out:
        total = int(response.headers.get("Content-Length") or 0) or None
        bar = (tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024,
                    desc=destination.name.removesuffix(".part"), leave=False)
               if tqdm is not None else None)
        try:
            while chunk := response.read(1 << 16):
                out.write(chunk)
                if bar is not None:
                    bar.update(len(chunk))
        finally:
            if bar is not None:
                bar.close()


def download_file(name: str, folder: str | os.PathLike, mirrors: tuple[str, ...] | list[str]
             | None = None) -> Path:
    """Download the standard file ``name`` into ``folder`` and verify it; return its path.

    Each mirror is tried in turn. A download is written to ``name + '.part'`` and renamed only
    once its checksum is right, so an interrupted or wrong download never looks like a good
    file. Raises :class:`MNISTError` naming every mirror's failure when all fail.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    failures = []
    for mirror in mirrors if mirrors is not None else MIRRORS:
        url = mirror.rstrip("/") + "/" + name
        part = folder / (name + ".part")
        try:
            fetch(url, part)
            stored, content = _read_bytes(part, compressed=name.endswith(".gz"))
            verify(name, stored, content, url)
            parse_idx(content, name)
        except (OSError, urllib.error.URLError, ValueError, MNISTError) as error:
            reason = str(error).splitlines()[0] if str(error) else type(error).__name__
            failures.append(f"{url}: {reason}")
            part.unlink(missing_ok=True)
            continue
        final = folder / name
        os.replace(part, final)
        return final
    raise MNISTError(f"could not download {name}:\n    " + "\n    ".join(failures))


# -- loading ------------------------------------------------------------------------------------
def ensure(names: tuple[str, ...] | list[str] = tuple(FILES),
           folder: str | os.PathLike | None = None, *, download: bool | None = None,
           mirrors: tuple[str, ...] | list[str] | None = None) -> Path:
    """Make sure the files ``names`` are in the data folder (downloading them if allowed).

    Returns the folder. Raises one :class:`MNISTNotFoundError` for everything still missing.
    """
    where = resolve_dir(folder)
    missing = missing_files(where, names)
    if not missing:
        return where
    allowed = downloads_enabled(download)
    failures = []
    if allowed:
        for name in missing:
            try:
                download_file(name, where, mirrors)
            except (MNISTError, OSError) as error:
                failures.append(str(error))
    still = missing_files(where, names)
    if not still:
        return where
    mirror = (mirrors or MIRRORS)[0].rstrip("/") + "/"
    lines = [f"MNIST files are missing: {', '.join(still)}.",
             f"Looked in: {_where(where, folder)}"]
    if allowed:
        lines.append("Downloading them failed:")
        lines += ["    " + line for failure in failures for line in failure.splitlines()]
    else:
        lines.append(f"Downloading is switched off (download=False or {ENV_DOWNLOAD}=0).")
    lines.append("To place them by hand, download")
    lines += [f"    {mirror}{name}" for name in still]
    lines.append(f"(or the same names from another MNIST mirror) and put them, still "
                 f"gzip-compressed, in {where}")
    raise MNISTNotFoundError("\n".join(lines), still, where)


def load(part: str = "train", data_dir: str | os.PathLike | None = None, *,
         download: bool | None = None, check: bool = True
         ) -> tuple[np.ndarray, np.ndarray]:
    """The images (n, 28, 28) and labels (n,) of ``part`` ('train' or 'test'), as uint8.

    ``check=False`` skips the checksums (for test files made by hand); the IDX structure, the
    magic numbers, the shapes and the labels are checked all the same.
    """
    if part not in PARTS:
        raise ValueError(f"part must be 'train' or 'test', not {part!r}")
    image_name, label_name = PARTS[part]
    folder = ensure(PARTS[part], data_dir, download=download)
    images = read_file(image_name, folder, check=check)
    labels = read_file(label_name, folder, check=check)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise IDXFormatError(f"{image_name} should hold uint8 images (magic 0x{IMAGES_MAGIC:08X}"
                             f"), but holds {images.dtype} data of shape {images.shape}.")
    if labels.ndim != 1 or labels.dtype != np.uint8:
        raise IDXFormatError(f"{label_name} should hold uint8 labels (magic 0x{LABELS_MAGIC:08X}"
                             f"), but holds {labels.dtype} data of shape {labels.shape}.")
    if len(images) != len(labels):
        raise IDXFormatError(f"{image_name} holds {len(images)} images but {label_name} "
                             f"{len(labels)} labels: the two files do not belong together.")
    if labels.size and labels.max() > 9:
        raise IDXFormatError(f"{label_name} holds the label {labels.max()}; digits are 0 to 9.")
    if check and (images.shape != FILES[image_name].shape
                  or labels.shape != FILES[label_name].shape):
        raise IDXFormatError(f"{image_name} and {label_name} have shapes {images.shape} and "
                             f"{labels.shape}, expected {FILES[image_name].shape} and "
                             f"{FILES[label_name].shape}.")
    return images, labels


# -- the data of the MNIST chapter --------------------------------------------------------------
@dataclass
class BookData:
    """The images (n, h, w) and labels (n,) the chapter trains and tests on, and where from."""

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    source: str  # "mnist", "mnist-test-split" or "digits"
    description: str  # what was loaded, for the reader; names no path
    pixel_max: int  # 255 for MNIST, 16 for the 8 x 8 digits


def _split(images, labels, n_train, n_test, seed):
    order = np.random.default_rng(seed).permutation(len(labels))
    train, test = order[:n_train], order[n_train:n_train + n_test]
    return images[train], labels[train], images[test], labels[test]


def load_book_data(data_dir: str | os.PathLike | None = None, *, download: bool | None = None,
                   seed: int = 0, split: tuple[int, int] = (8000, 2000)) -> BookData:
    """The chapter's data, chosen the same way on every machine:

    1. all of MNIST (60,000 + 10,000 images) when the four files are there or can be downloaded;
    2. else, when only the two test-set files are there, their 10,000 images split at random
       (``seed``) into ``split`` = (8,000 training, 2,000 test) images;
    3. else scikit-learn's 1,797 digits of 8 x 8 pixels, which it ships (no network needed),
       split 80 / 20 with the same seed.
    """
    try:
        ensure(tuple(FILES), data_dir, download=download)
        train = load("train", data_dir, download=False)
        test = load("test", data_dir, download=False)
        return BookData(*train, *test, "mnist",
                        f"MNIST: {len(train[1]):,} training and {len(test[1]):,} test images of "
                        "28 x 28 pixels.", 255)
    except MNISTError as error:
        reason = str(error).splitlines()[0]
    try:
        images, labels = load("test", data_dir, download=False)
    except MNISTError as error:
        reason_test = str(error).splitlines()[0]
    else:
        n_train, n_test = split
        return BookData(*_split(images, labels, n_train, n_test, seed), "mnist-test-split",
                        f"Only the MNIST test set is available ({reason.rstrip('.')}). Its "
                        f"{len(labels):,} images of 28 x 28 pixels are split at random (seed "
                        f"{seed}) into {n_train:,} for training and {n_test:,} for testing.",
                        255)
    from sklearn.datasets import load_digits

    digits = load_digits()
    images, labels = digits.images.astype(np.uint8), digits.target.astype(np.uint8)
    n_test = round(0.2 * len(labels))
    folder, home = str(resolve_dir(data_dir)), str(Path.home())
    shown = "~" + folder[len(home):] if folder.startswith(home) else folder
    return BookData(*_split(images, labels, len(labels) - n_test, n_test, seed), "digits",
                    f"Could not get MNIST: {reason_test} Falling back to the "
                    f"{len(labels):,} digits of 8 x 8 pixels that scikit-learn ships, split at "
                    f"random (seed {seed}) into {len(labels) - n_test:,} for training and "
                    f"{n_test:,} for testing. To use MNIST, put its four files in {shown} (or "
                    f"point {ENV_DIR} at them), or let the loader download them.", 16)
