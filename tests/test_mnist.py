"""The MNIST loader: IDX parsing, checksums, downloads, clear errors, the chapter's data policy.

Most tests write tiny IDX files themselves; the last ones read the real MNIST test set from
``../shared/data/mnist`` beside the repository, and are skipped when it is not there.
"""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT

from nnbook import mnist

REAL = ROOT.parent / "shared" / "data" / "mnist"
IMAGES, LABELS = mnist.PARTS["test"]
TRAIN_IMAGES, TRAIN_LABELS = mnist.PARTS["train"]


# -- tiny IDX files ---------------------------------------------------------------------------
def idx_bytes(array: np.ndarray, type_code: int = 0x08) -> bytes:
    header = bytes([0, 0, type_code, array.ndim])
    header += b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    return header + array.astype(mnist.IDX_TYPES[type_code]).tobytes()


def write(path: Path, content: bytes, compress: bool = True) -> Path:
    path.write_bytes(gzip.compress(content, mtime=0) if compress else content)
    return path


def tiny_set(n: int = 5, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return (rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8),
            rng.integers(0, 10, size=n, dtype=np.uint8))


def tiny_folder(folder: Path, n_train: int = 6, n_test: int = 4) -> dict[str, np.ndarray]:
    """All four files, with small made-up contents; returns the arrays by file name."""
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {}
    for part, n in (("train", n_train), ("test", n_test)):
        images, labels = tiny_set(n, seed=n)
        image_name, label_name = mnist.PARTS[part]
        arrays[image_name], arrays[label_name] = images, labels
        write(folder / image_name, idx_bytes(images))
        write(folder / label_name, idx_bytes(labels))
    return arrays


def trust(monkeypatch, folder: Path, names=tuple(mnist.FILES)) -> None:
    """Make the loader's checksum table describe the tiny files in ``folder``."""
    for name in names:
        stored = (folder / name).read_bytes()
        content = gzip.decompress(stored)
        monkeypatch.setitem(mnist.FILES, name, mnist.FileInfo(
            hashlib.sha256(stored).hexdigest(), hashlib.md5(stored).hexdigest(),
            hashlib.md5(content).hexdigest(), mnist.parse_idx(content).shape))


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """No test reaches the network: the real fetch is replaced unless a test allows it."""
    def refuse(url, destination, **kwargs):
        raise OSError(f"test: no network for {url}")

    monkeypatch.setattr(mnist, "fetch", refuse)
    monkeypatch.delenv(mnist.ENV_DIR, raising=False)
    monkeypatch.delenv(mnist.ENV_DOWNLOAD, raising=False)


# -- parsing ------------------------------------------------------------------------------------
def test_reads_images_and_labels_compressed_or_not(tmp_path):
    images, labels = tiny_set()
    assert np.array_equal(mnist.read_idx(write(tmp_path / "i.gz", idx_bytes(images))), images)
    got = mnist.read_idx(write(tmp_path / "l", idx_bytes(labels), compress=False))
    assert np.array_equal(got, labels) and got.dtype == np.uint8


def test_reads_other_idx_types_in_native_byte_order():
    values = np.array([[1.5, -2.0], [3.25, 1e6]])
    got = mnist.parse_idx(idx_bytes(values, type_code=0x0D))
    assert got.dtype == np.float32 and got.dtype.isnative
    assert np.array_equal(got, values.astype(np.float32))


@pytest.mark.parametrize("content, message", [
    (b"\x00\x00", "too short"),
    (b"\x12\x34\x08\x01" + bytes(8), "does not start with an IDX magic number: got 0x12340801"),
    (b"\x00\x00\x07\x01" + bytes(8), "0x00000701"),
    (b"\x00\x00\x08\x03" + bytes(6), "truncated inside its header"),
    (idx_bytes(np.zeros((3, 4, 4), np.uint8))[:-5], "truncated: its header announces shape"),
    (idx_bytes(np.zeros(7, np.uint8)) + b"\x00", "corrupt: its header announces shape (7,)"),
])
def test_bad_idx_content_is_refused_with_a_clear_message(content, message):
    with pytest.raises(mnist.IDXFormatError) as caught:
        mnist.parse_idx(content, "some-file")
    assert message in str(caught.value)
    assert str(caught.value).startswith("some-file")


def test_truncated_or_corrupt_gzip_is_refused(tmp_path):
    whole = gzip.compress(idx_bytes(tiny_set()[0]), mtime=0)
    (tmp_path / "cut.gz").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(mnist.IDXFormatError, match="cut.gz is truncated: its gzip stream ends"):
        mnist.read_idx(tmp_path / "cut.gz")
    (tmp_path / "plain.gz").write_bytes(idx_bytes(tiny_set()[1]))
    with pytest.raises(mnist.IDXFormatError, match="plain.gz is not a valid gzip file"):
        mnist.read_idx(tmp_path / "plain.gz")
    damaged = bytearray(whole)
    damaged[len(damaged) // 2] ^= 0xFF
    (tmp_path / "flip.gz").write_bytes(bytes(damaged))
    with pytest.raises(mnist.IDXFormatError, match="flip.gz is"):
        mnist.read_idx(tmp_path / "flip.gz")


# -- folders and switches ------------------------------------------------------------------------
def test_the_folder_comes_from_the_argument_then_the_environment_then_the_cache(
        tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(mnist.sys, "platform", "linux")
    assert mnist.resolve_dir() == tmp_path / "cache" / "nnbook" / "mnist"
    monkeypatch.setenv(mnist.ENV_DIR, str(tmp_path / "env"))
    assert mnist.resolve_dir() == tmp_path / "env"
    assert mnist.resolve_dir(tmp_path / "arg") == tmp_path / "arg"


@pytest.mark.parametrize("value, enabled", [(None, True), ("1", True), ("0", False),
                                            ("false", False), ("OFF", False), ("no", False)])
def test_downloads_can_be_switched_off_by_the_environment(monkeypatch, value, enabled):
    if value is not None:
        monkeypatch.setenv(mnist.ENV_DOWNLOAD, value)
    assert mnist.downloads_enabled() is enabled
    assert mnist.downloads_enabled(True) is True and mnist.downloads_enabled(False) is False


# -- loading ------------------------------------------------------------------------------------
def test_loads_both_parts_and_checks_them(tmp_path, monkeypatch):
    arrays = tiny_folder(tmp_path)
    trust(monkeypatch, tmp_path)
    images, labels = mnist.load("train", tmp_path, download=False)
    assert np.array_equal(images, arrays[TRAIN_IMAGES])
    assert np.array_equal(labels, arrays[TRAIN_LABELS])
    images, labels = mnist.load("test", tmp_path, download=False)
    assert images.shape == (4, 28, 28) and labels.shape == (4,)


def test_a_file_that_is_not_the_published_one_is_refused(tmp_path):
    tiny_folder(tmp_path)
    with pytest.raises(mnist.ChecksumError) as caught:
        mnist.load("test", tmp_path, download=False)
    message = str(caught.value)
    assert message.startswith(f"{IMAGES} is not the published MNIST file")
    assert mnist.FILES[IMAGES].archive_sha256 in message and str(tmp_path) in message
    assert "Delete it" in message


def test_a_recompressed_or_decompressed_copy_is_accepted(tmp_path, monkeypatch):
    arrays = tiny_folder(tmp_path)
    trust(monkeypatch, tmp_path)
    content = gzip.decompress((tmp_path / IMAGES).read_bytes())
    # Other gzip settings: other bytes (the archive checksum fails), the same content.
    (tmp_path / IMAGES).write_bytes(gzip.compress(content, compresslevel=1, mtime=12345))
    assert np.array_equal(mnist.load("test", tmp_path, download=False)[0], arrays[IMAGES])
    (tmp_path / IMAGES).unlink()
    write(tmp_path / IMAGES.removesuffix(".gz"), content, compress=False)
    assert np.array_equal(mnist.load("test", tmp_path, download=False)[0], arrays[IMAGES])


@pytest.mark.parametrize("change, message", [
    ({IMAGES: np.zeros(4, np.uint8)}, "should hold uint8 images"),
    ({LABELS: np.zeros((4, 2), np.uint8)}, "should hold uint8 labels"),
    ({LABELS: np.zeros(3, np.uint8)}, "holds 4 images but t10k-labels-idx1-ubyte.gz 3 labels"),
    ({LABELS: np.array([1, 2, 10, 3], np.uint8)}, "holds the label 10"),
])
def test_files_that_do_not_fit_together_are_refused(tmp_path, change, message):
    tiny_folder(tmp_path)
    for name, array in change.items():
        write(tmp_path / name, idx_bytes(array))
    with pytest.raises(mnist.IDXFormatError, match=message):
        mnist.load("test", tmp_path, download=False, check=False)


def test_tiny_files_with_the_published_checksums_must_also_have_the_published_shape(
        tmp_path, monkeypatch):
    tiny_folder(tmp_path)
    trust(monkeypatch, tmp_path)
    monkeypatch.setitem(mnist.FILES, IMAGES, mnist.FILES[IMAGES].__class__(
        *[getattr(mnist.FILES[IMAGES], f) for f in ("archive_sha256", "archive_md5",
                                                    "content_md5")], (10000, 28, 28)))
    with pytest.raises(mnist.IDXFormatError, match=r"expected \(10000, 28, 28\)"):
        mnist.load("test", tmp_path, download=False)


def test_missing_files_give_one_error_that_says_what_where_and_how(tmp_path, monkeypatch):
    (tmp_path / IMAGES).write_bytes(b"")  # present (if useless): only the others are missing
    with pytest.raises(mnist.MNISTNotFoundError) as caught:
        mnist.ensure(folder=tmp_path, download=False)
    error = caught.value
    assert error.missing == [TRAIN_IMAGES, TRAIN_LABELS, LABELS] and error.folder == tmp_path
    message = str(error)
    assert message.splitlines()[0] == ("MNIST files are missing: train-images-idx3-ubyte.gz, "
                                       "train-labels-idx1-ubyte.gz, t10k-labels-idx1-ubyte.gz.")
    assert f"Looked in: {tmp_path} (the data_dir argument)" in message
    assert "Downloading is switched off" in message
    assert f"{mnist.MIRRORS[0]}{TRAIN_IMAGES}" in message
    assert f"still gzip-compressed, in {tmp_path}" in message
    assert isinstance(error, FileNotFoundError)

    monkeypatch.setenv(mnist.ENV_DIR, str(tmp_path))
    monkeypatch.setenv(mnist.ENV_DOWNLOAD, "0")
    with pytest.raises(mnist.MNISTNotFoundError, match=f"from the environment variable "
                       f"{mnist.ENV_DIR}"):
        mnist.load("train")


# -- downloading --------------------------------------------------------------------------------
@pytest.fixture
def mirrors(tmp_path, monkeypatch):
    """Two local mirrors reached through file:// URLs: a bad one (wrong bytes), then a good one."""
    good, bad = tmp_path / "good", tmp_path / "bad"
    tiny_folder(good)
    tiny_folder(bad, n_train=7, n_test=3)
    trust(monkeypatch, good)
    monkeypatch.setattr(mnist, "fetch", FETCH)
    return [bad.as_uri() + "/", good.as_uri() + "/"]


FETCH = mnist.fetch  # the real one, kept before the autouse fixture replaces it


def test_download_verifies_and_falls_back_to_the_next_mirror(tmp_path, mirrors):
    folder = tmp_path / "cache"
    mnist.ensure(mnist.PARTS["test"], folder, download=True, mirrors=mirrors)
    images, labels = mnist.load("test", folder, download=False)
    assert images.shape == (4, 28, 28)
    assert sorted(p.name for p in folder.iterdir()) == sorted(mnist.PARTS["test"])


def test_a_download_with_a_wrong_checksum_is_deleted_and_reported(tmp_path, mirrors):
    folder = tmp_path / "cache"
    with pytest.raises(mnist.MNISTNotFoundError) as caught:
        mnist.ensure(mnist.PARTS["test"], folder, download=True, mirrors=mirrors[:1])
    message = str(caught.value)
    assert "Downloading them failed" in message
    assert f"{mirrors[0]}{IMAGES}: {IMAGES} is not the published MNIST file" in message
    assert list(folder.iterdir()) == []  # no .part file, no bad file left behind


def test_an_interrupted_download_is_not_kept(tmp_path, monkeypatch):
    source = tmp_path / "source"
    tiny_folder(source)
    trust(monkeypatch, source)

    def interrupted(url, destination, **kwargs):
        data = (source / url.rsplit("/", 1)[1]).read_bytes()
        destination.write_bytes(data[: len(data) // 2])

    monkeypatch.setattr(mnist, "fetch", interrupted)
    folder = tmp_path / "cache"
    with pytest.raises(mnist.MNISTNotFoundError, match="is truncated: its gzip stream ends"):
        mnist.ensure([LABELS], folder, download=True, mirrors=["https://example.invalid/"])
    assert list(folder.iterdir()) == []


def test_failed_downloads_are_reported_per_mirror(tmp_path):
    with pytest.raises(mnist.MNISTNotFoundError) as caught:
        mnist.ensure([LABELS], tmp_path, download=True, mirrors=["https://a.invalid/",
                                                                 "https://b.invalid/"])
    message = str(caught.value)
    assert "https://a.invalid/t10k-labels-idx1-ubyte.gz: test: no network" in message
    assert "https://b.invalid/t10k-labels-idx1-ubyte.gz: test: no network" in message
    assert "https://a.invalid/t10k-labels-idx1-ubyte.gz\n(or the same names" in message


def test_nothing_is_downloaded_when_the_files_are_there(tmp_path, monkeypatch):
    tiny_folder(tmp_path)
    trust(monkeypatch, tmp_path)
    assert mnist.ensure(folder=tmp_path, download=True) == tmp_path  # fetch would raise


# -- the chapter's data policy ------------------------------------------------------------------
def test_book_data_uses_all_of_mnist_when_the_four_files_are_there(tmp_path, monkeypatch):
    arrays = tiny_folder(tmp_path)
    trust(monkeypatch, tmp_path)
    data = mnist.load_book_data(tmp_path, download=False)
    assert data.source == "mnist" and data.pixel_max == 255
    assert np.array_equal(data.train_labels, arrays[TRAIN_LABELS])
    assert data.description == "MNIST: 6 training and 4 test images of 28 x 28 pixels."


def test_book_data_splits_the_test_set_when_only_it_is_there(tmp_path, monkeypatch):
    arrays = tiny_folder(tmp_path, n_test=10)
    trust(monkeypatch, tmp_path)
    for name in (TRAIN_IMAGES, TRAIN_LABELS):
        (tmp_path / name).unlink()
    data = mnist.load_book_data(tmp_path, download=False, split=(7, 3))
    assert data.source == "mnist-test-split"
    assert data.train_images.shape == (7, 28, 28) and data.test_labels.shape == (3,)
    together = np.concatenate([data.train_labels, data.test_labels])
    assert sorted(together) == sorted(arrays[LABELS])
    again = mnist.load_book_data(tmp_path, download=False, split=(7, 3))
    assert np.array_equal(again.train_images, data.train_images)
    assert "Only the MNIST test set is available (MNIST files are missing: " \
           "train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz)" in data.description
    assert str(tmp_path) not in data.description


def test_book_data_falls_back_to_the_digits_scikit_learn_ships(tmp_path):
    data = mnist.load_book_data(tmp_path / "empty", download=False)
    assert data.source == "digits" and data.pixel_max == 16
    assert data.train_images.shape == (1438, 8, 8) and data.test_images.shape == (359, 8, 8)
    assert data.description.startswith("Could not get MNIST: MNIST files are missing: ")
    assert "Falling back to the 1,797 digits" in data.description


# -- the real MNIST test set --------------------------------------------------------------------
real = pytest.mark.skipif(not (REAL / IMAGES).is_file(),
                          reason=f"the real MNIST test set is not in {REAL}")


@real
def test_the_real_test_set():
    images, labels = mnist.load("test", REAL, download=False)
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
    assert list(labels[:8]) == [7, 2, 1, 0, 4, 1, 4, 9]
    assert np.bincount(labels).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974,
                                            1009]
    assert images.max() == 255 and images[0, :4].sum() == 0  # a dark border


@real
def test_the_real_test_set_split_for_the_book():
    data = mnist.load_book_data(REAL, download=False)
    assert data.source == "mnist-test-split"
    assert data.train_images.shape == (8000, 28, 28) and data.test_images.shape == (2000, 28, 28)
    assert data.train_labels[:8].tolist() == [2, 4, 4, 0, 8, 7, 7, 0]
    assert data.test_labels[:8].tolist() == [6, 7, 3, 1, 1, 9, 5, 4]


@real
def test_a_damaged_copy_of_the_real_file_is_refused(tmp_path):
    content = bytearray(gzip.decompress((REAL / LABELS).read_bytes()))
    content[100] = (content[100] + 1) % 10  # one label changed: still valid IDX
    write(tmp_path / LABELS, bytes(content))
    with pytest.raises(mnist.ChecksumError, match=f"{LABELS} is not the published"):
        mnist.read_file(LABELS, tmp_path)
