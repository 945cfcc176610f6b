"""The grader's sandbox and its channel into a kernel, tested directly (no nbgrader).

A sandboxed kernel is started on a scratch submission folder; the tests check what it can see
and do, then drive it through :class:`nnbook.grader.bridge.Kernel` as a hidden test would.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import threading

import numpy as np
import pytest
from conftest import ROOT, ensure_bubblewrap

from nnbook.checks import CheckFailed
from nnbook.grader import bridge, integrity
from nnbook.grader.bridge import Kernel, LearnerError
from nnbook.grader.sandbox import SandboxedKernelManager, learner_side

NOTEBOOK_CODE = '''
import numpy as np

def forward(X, W):
    return X @ W

def broken(X):
    Z = X @ np.ones((5, 5))
    return Z

def loop():
    while True:
        pass

def doubled(x):
    return helper(x) * 2

def grow(d):
    d["a"] += 1

class Counter:
    def __init__(self, start):
        self.count = start
    def step(self, by):
        self.count += by + self.bonus()
        return self.count
    def bonus(self):
        return 0

Z1 = np.arange(6.0).reshape(2, 3)
total = np.float64(2.5)
'''


def run_in_kernel(kernel: Kernel, code: str, timeout: float = 60) -> str:
    """Run ``code`` as a notebook cell would; return what it printed."""
    printed = []
    reply = kernel.client.execute_interactive(
        code, timeout=timeout, output_hook=lambda msg: printed.append(
            msg["content"].get("text", "")) if msg["msg_type"] == "stream" else None)
    assert reply["content"]["status"] == "ok", reply["content"]
    return "".join(printed)


@pytest.fixture(scope="module")
def listener():
    """A TCP server on the host's loopback: a sandboxed kernel must not reach it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    reached = []
    stop = threading.Event()

    def accept():
        while not stop.is_set():
            try:
                reached.append(server.accept())
            except OSError:
                pass

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1], reached
    stop.set()
    server.close()


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    ensure_bubblewrap()
    folder = tmp_path_factory.mktemp("submission")
    (folder / "data.txt").write_text("the student's own file\n")
    (folder / "exercise.ipynb").write_text("{}")
    manager = SandboxedKernelManager(kernel_name="python3")
    asyncio.run(manager.start_kernel(cwd=str(folder)))
    process = manager.provisioner.process
    channel = Kernel(manager.get_connection_info(), call_timeout=3,
                     is_alive=lambda: process.poll() is None)
    run_in_kernel(channel, NOTEBOOK_CODE)
    yield channel
    channel.close()
    asyncio.run(manager.shutdown_kernel(now=True))


PROBE = '''
import os, json, glob
def can_read(path):
    try:
        with open(path, "rb") as handle:
            handle.read(1)
        return True
    except OSError:
        return False
def can_write(path):
    try:
        with open(path, "a"):
            pass
        return True
    except OSError:
        return False
print(json.dumps({
    "cwd": os.getcwd(), "files": sorted(os.listdir(".")), "uid": os.getuid(),
    "processes": len([p for p in os.listdir("/proc") if p.isdigit()]),
    "course": os.path.exists(%(course)r), "grader": os.path.exists(%(grader)r),
    "package": sorted(os.listdir(%(package)r)),
    "repository": sorted(os.listdir(%(root)r)),
    "write_package": can_write(%(checks)r), "read_tests": can_read(%(tests)r),
    "add_to_package": can_write(%(package)r + "/extra.py"),
    "write_outside": [p for p in ("/run/nnbook/x", "/run/x", "/x", %(root)r + "/x")
                      if can_write(p)],
    "connection_files": glob.glob("/tmp/**/*.json", recursive=True)
        + glob.glob("/run/**/*.json", recursive=True),
    "home": os.environ["HOME"], "write_home": can_write(os.path.expanduser("~/x")),
}))
'''


def test_the_kernel_sees_only_its_scratch_folder_and_a_read_only_system(kernel):
    seen = json.loads(run_in_kernel(kernel, PROBE % {
        "course": str(ROOT / "autograder"), "grader": str(ROOT / "nnbook" / "grader"),
        "root": str(ROOT), "checks": str(ROOT / "nnbook" / "checks.py"),
        "package": str(ROOT / "nnbook"),
        "tests": str(ROOT / "autograder" / "hidden_tests" / "02-forward-pass.py")}))
    assert seen["files"] == ["data.txt"], "the scratch copy holds the hand-in, no notebook"
    assert seen["course"] is False and seen["read_tests"] is False
    assert seen["grader"] is False, "the grader side of the package is not even named"
    assert seen["package"] == learner_side() and "grade.py" not in seen["package"]
    assert set(seen["repository"]) <= {".venv", "nnbook"}
    assert seen["write_package"] is False and seen["add_to_package"] is False
    assert seen["write_outside"] == ["/run/nnbook/x"], "only its own small socket folder"
    assert seen["connection_files"] == ["/run/nnbook/connection.json"], "no other kernel's"
    assert seen["write_home"] is True and seen["home"] != os.environ.get("HOME")
    if os.geteuid() == 0:
        assert seen["uid"] >= 200_000
    assert seen["processes"] <= 3, "its own process namespace: bwrap, the kernel, no more"


def test_the_kernel_has_no_network(kernel, listener):
    port, reached = listener
    printed = run_in_kernel(kernel, (
        "import socket\n"
        "try:\n"
        f"    socket.create_connection(('127.0.0.1', {port}), timeout=2)\n"
        "    print('connected')\n"
        "except OSError as error:\n"
        "    print('refused', error)\n"))
    assert printed.startswith("refused") and not reached


def test_values_and_calls_come_back_as_plain_data(kernel):
    total = kernel.value("total")
    assert type(total) is np.float64 and total == 2.5
    z1 = kernel.value("Z1")
    assert type(z1) is np.ndarray and z1.tolist() == [[0, 1, 2], [3, 4, 5]]
    got = kernel.call("forward", np.ones((2, 2)), np.eye(2))
    assert got.tolist() == [[1, 1], [1, 1]]
    reply = kernel.run("grow", ({"a": 1},), echo_args=True)
    assert reply.value is None and reply.args == [{"a": 2}]


def test_a_learners_exception_names_its_line(kernel):
    with pytest.raises(LearnerError) as raised:
        kernel.call("broken", np.ones((2, 2)))
    assert raised.value.type_name == "ValueError"
    assert "Z = X @ np.ones((5, 5))" in str(raised.value)
    with pytest.raises(CheckFailed, match="`nowhere` is not defined"):
        kernel.call("nowhere")


def test_helpers_and_methods_are_answered_by_the_grader(kernel):
    assert kernel.run("doubled", (np.ones(3),), helpers={"helper": lambda x: x + 10}
                      ).value.tolist() == [22, 22, 22]
    with pytest.raises(LearnerError, match="name 'helper' is not defined"):
        kernel.call("doubled", 1.0)  # the stand-in is gone after the call
    counter = kernel.new("Counter", 5)
    assert counter.type_name == "Counter" and counter.call("step", 2) == 7
    counter.set("bonus", kernel.callback(lambda: 100))
    assert counter.call("step", 1) == 108 and counter.get("count") == 108
    assert counter.call("step", 0) == 208, "a stand-in keeps working in later requests"


def test_a_call_that_never_returns_is_stopped_once(kernel):
    with pytest.raises(CheckFailed, match="did not finish within 3 s"):
        kernel.call("loop")
    with pytest.raises(CheckFailed, match="was not run"):
        kernel.call("loop")
    assert kernel.call("forward", np.ones((1, 1)), np.ones((1, 1))).tolist() == [[1]]


def test_the_package_function_an_exercise_forbids_fails_while_it_is_graded(kernel):
    run_in_kernel(kernel, "from nnbook import gradcheck\n"
                          "def lazy(x):\n    return gradcheck.relative_error(x, x)\n")
    with pytest.raises(LearnerError, match="calls the book's package"):
        kernel.run("lazy", (np.ones(2),), forbid=("nnbook.gradcheck.relative_error",))
    assert kernel.call("lazy", np.ones(2)) == 0  # restored afterwards
    run_in_kernel(kernel, "def own(x):\n    return 2 * x\n")
    assert kernel.run("own", (3,), forbid=("nnbook.gradcheck.relative_error",)).value == 6


@pytest.mark.parametrize("answer", [
    {"$array": {"dtype": "object", "shape": [1], "data": [1]}},
    {"$array": {"dtype": "float64", "shape": [3], "data": [1, 2]}},
    {"$array": {"dtype": "float64", "shape": [1], "data": ["__import__('os')"]}},
    {"$pickle": "gASVAAAAAAAAAAB9lC4="},
    {"$scalar": "1", "dtype": "float64"},
])
def test_answers_that_are_not_plain_data_are_refused(answer):
    with pytest.raises(CheckFailed, match="could not be read"):
        bridge.decode(answer)


def test_integrity_sees_every_change(tmp_path):
    (tmp_path / "source").mkdir()
    (tmp_path / "source" / "a.ipynb").write_text("{}")
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n")
    before = integrity.fingerprint(tmp_path)
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\nevil = 1\n")
    (tmp_path / "source" / "b.ipynb").write_text("{}")
    problems = integrity.changed(before, integrity.fingerprint(tmp_path))
    assert problems == [f"changed: {tmp_path / 'nbgrader_config.py'}",
                        f"added: {tmp_path / 'source' / 'b.ipynb'}"]


def test_grading_without_bubblewrap_stops_and_says_what_to_install(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n")
    (tmp_path / "submitted" / "ada" / "02-forward-pass").mkdir(parents=True)
    env = dict(os.environ, PATH=os.path.dirname(sys.executable))  # no /usr/bin: no bwrap
    result = subprocess.run([sys.executable, "-m", "nnbook.grade", "02-forward-pass",
                             "--course", str(tmp_path)], capture_output=True, text=True,
                            env=env)
    assert result.returncode == 2
    assert "apt-get install bubblewrap" in result.stderr
    assert "--unsafe-no-sandbox" in result.stderr
    assert not (tmp_path / "autograded").exists()


LIMITS = '''
import errno, mmap, os
try:  # shared memory is not in the data segment: the address-space limit counts it
    mmap.mmap(-1, %(map_bytes)d, flags=mmap.MAP_SHARED | mmap.MAP_ANONYMOUS)
    print("mapped")
except OSError as error:
    print("refused", errno.errorcode[error.errno])
written = 0
try:  # HOME, with the working folder in it, is memory-backed and of a fixed size
    for part in range(%(home_mb)d // 32 + 2):  # files under the file-size limit
        with open(f"fill{part}", "wb") as handle:
            for _ in range(32):
                handle.write(bytes(2**20))
                handle.flush()
                written += 1
except OSError as error:
    print("full after", written, errno.errorcode[error.errno])
finally:
    for name in os.listdir("."):
        if name.startswith("fill"):
            os.remove(name)
'''


def test_shared_memory_and_the_home_folder_are_limited(kernel):
    manager = SandboxedKernelManager()
    printed = run_in_kernel(kernel, LIMITS % {
        "map_bytes": (manager.memory_mb + 2048 + 512) * 2**20, "home_mb": manager.disk_mb})
    lines = printed.splitlines()
    assert lines[0] == "refused ENOMEM", printed
    assert lines[1].startswith("full after") and lines[1].endswith("ENOSPC"), printed
    assert int(lines[1].split()[2]) <= manager.disk_mb, printed
