"""Each submission's kernel in a bubblewrap sandbox.

The kernel sees a read-only system: ``/usr``, ``/etc``, the Python installation, the virtual
environment and the learner-side modules of the book's package (``nnbook/`` shows nothing
else, not even the names of the grader's and maintainer's modules). Everything it can write is
memory-backed and private, of a fixed size: HOME, with a scratch copy of the submission's
folder (without the notebook being graded) in ``~/work``, its working folder; ``/tmp``; and
the folder of its sockets. No folder of the host is writable to it. It has no network, its own
process, IPC and hostname namespaces, so every process it starts dies with it. It talks to the
grader over Unix sockets (ZeroMQ's ``ipc`` transport) that it creates inside the sandbox; the
grader reaches them through ``/proc/<pid>/root``. The course folder, the gradebook,
``source/``, ``release/``, the hidden tests, other students' folders and other kernels'
connection files are not in its view at all.

Limits (``nbgrader_config.py``, class ``SandboxedKernelManager``): memory (data and address
space, so shared mappings count too), processes, the size of one file, CPU seconds, and the
size of HOME and ``/tmp``.

As root the kernel runs as a user id of its own (so the process limit counts its processes
alone); as an ordinary user it runs as that user inside a user namespace.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from traitlets import Bool, Integer, List, Unicode

PACKAGE = Path(__file__).resolve().parent.parent  # nnbook/
#: The modules of the package that learners' notebooks import: all a kernel sees of it. Any
#: other module (the grading command, the generator and its helpers, the site's) stays out of
#: view, a new one too until it is named here.
LEARNER_SIDE = ("__init__.py", "checks.py", "diagrams.py", "example.py", "gradcheck.py",
                "gradient_feedback.py", "mnist.py")
HOME = "/home/student"
WORK = "/home/student/work"
#: In the kernel's view: the folder of its sockets and connection file (a small memory-backed
#: folder), and, read-only, what its HOME starts with (``work/``, the submission's files, and
#: Matplotlib's font list), copied into HOME as the kernel starts.
SOCKETS = "/run/nnbook"
HOME_START = "/run/nnbook-home"
#: Address space a kernel may map beyond ``memory_mb``: the runtime reserves more than it uses
#: (thread stacks, malloc arenas); PyTorch, NumPy and Matplotlib together map about 700 MB.
ADDRESS_SPACE_SLACK_MB = 2048
#: The user ids given to sandboxed kernels when grading as root, one per kernel.
SANDBOX_UIDS = range(200_000, 260_000)

MISSING = ("bubblewrap (bwrap) is needed to grade safely and was not found. Install it "
           "(Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap) and "
           "grade again. To grade without a sandbox, trusting every submission with your "
           "files, pass --unsafe-no-sandbox to python -m nnbook.grade.")


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot create namespaces here; the message says what to do."""


def bwrap_path() -> str:
    path = shutil.which("bwrap")
    if path is None:
        raise SandboxUnavailable(MISSING)
    return path


def check_sandbox() -> None:
    """Raise :class:`SandboxUnavailable` unless a sandbox can be started on this machine."""
    command = [bwrap_path(), "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
               "--unshare-pid", "--unshare-net", "--unshare-ipc", "true"]
    if os.geteuid() != 0:
        command.insert(1, "--unshare-user")
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode:
        raise SandboxUnavailable(
            f"bubblewrap is installed but cannot start a sandbox here: {result.stderr.strip()}."
            " It needs user namespaces (or root). Grade on a machine where "
            "`bwrap --ro-bind / / --unshare-all true` works, or pass --unsafe-no-sandbox.")


def _read_only_paths() -> list[Path]:
    """What the kernel needs to start Python, NumPy, Matplotlib, PyTorch and the package."""
    paths = [Path("/usr"), Path("/etc"), Path(sys.base_prefix), Path(sys.prefix)]
    data = os.environ.get("NNBOOK_MNIST_DIR")
    if data and Path(data).is_dir():
        paths.append(Path(data).resolve())
    real_python = Path(os.path.realpath(sys.executable)).parent.parent
    paths.append(real_python)
    unique: list[Path] = []
    for path in paths:
        path = path.resolve()
        if path not in unique and not any(path.is_relative_to(p) for p in unique):
            unique = [p for p in unique if not p.is_relative_to(path)] + [path]
    return unique


class _Mounts:
    """bwrap arguments, creating each mount point's parents as readable folders."""

    def __init__(self) -> None:
        self.args: list[str] = []
        self.made = {Path("/")}

    def _parents(self, target: Path) -> None:
        for parent in reversed(target.parents):
            if parent not in self.made:
                self.args += ["--perms", "0755", "--dir", str(parent)]
                self.made.add(parent)

    def add(self, option: str, source: str | None, target: str, size: int | None = None
            ) -> None:
        self._parents(Path(target))
        if size is not None:  # a memory-backed folder that the kernel's user may write to
            self.args += ["--perms", "1777", "--size", str(size)]
        self.args += [option, *([source] if source else []), target]
        self.made.add(Path(target))


def learner_side() -> list[str]:
    """The entries of ``nnbook/`` a kernel may see: the modules learners' notebooks import
    (compiled files are left out: ``__pycache__`` holds the grader's bytecode too)."""
    return sorted(name for name in LEARNER_SIDE if (PACKAGE / name).is_file())


#: Run as the kernel's user before the kernel: fill HOME, then start in the working folder.
_COPY_THEN_RUN = 'cp -R "$1"/. "$HOME"/ && cd "$2" && shift 2 && exec "$@"'


def matplotlib_font_list() -> Path | None:
    """The grader's Matplotlib font cache: copied into each kernel's HOME, so that a kernel
    does not spend a second or two building its own."""
    try:
        import matplotlib
        from matplotlib import font_manager  # noqa: F401 (builds the cache if missing)
    except ImportError:
        return None
    found = sorted(Path(matplotlib.get_cachedir()).glob("fontlist-*.json"))
    return found[-1] if found else None


def sandbox_command(kernel_cmd: list[str], *, private: Path, home: Path, uid: int | None,
                    memory_mb: int, max_processes: int, max_file_mb: int, cpu_seconds: int,
                    tmp_mb: int, environment: dict[str, str]) -> list[str]:
    """The command that runs ``kernel_cmd`` in the sandbox.

    ``private`` holds the connection file, bound read-only; ``home`` what the kernel's
    memory-backed HOME starts with (``home/work`` holds the submission's files).
    """
    mounts = _Mounts()
    for link, target in (("/bin", "usr/bin"), ("/sbin", "usr/sbin"), ("/lib", "usr/lib"),
                         ("/lib64", "usr/lib64")):
        if os.path.islink(link):
            mounts.args += ["--symlink", target, link]
            mounts.made.add(Path(link))
        elif os.path.isdir(link):
            mounts.add("--ro-bind", link, link)
    mounts.args += ["--dev", "/dev", "--proc", "/proc"]
    mounts.made |= {Path("/dev"), Path("/proc")}
    # The private /tmp and HOME first: a repository or data folder under /tmp is bound on top.
    mounts.add("--tmpfs", None, "/tmp", size=tmp_mb * 2**20)
    mounts.add("--tmpfs", None, HOME, size=tmp_mb * 2**20)
    for path in _read_only_paths():
        mounts.add("--ro-bind", str(path), str(path))
    # The package: an empty read-only folder with the learner-side modules bound into it, so
    # neither the grader's and maintainer's code nor their names are in view.
    mounts.add("--tmpfs", None, str(PACKAGE))
    for name in learner_side():
        mounts.add("--ro-bind", str(PACKAGE / name), str(PACKAGE / name))
    mounts.args += ["--remount-ro", str(PACKAGE)]
    mounts.add("--tmpfs", None, SOCKETS, size=2**20)
    mounts.add("--ro-bind", str(private / "connection.json"), f"{SOCKETS}/connection.json")
    mounts.add("--ro-bind", str(home), HOME_START)

    command = [bwrap_path(), *mounts.args,
               "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
               "--unshare-cgroup-try", "--hostname", "sandbox", "--die-with-parent",
               "--new-session", "--chdir", HOME, "--clearenv"]
    for name, value in environment.items():
        command += ["--setenv", name, value]
    memory = memory_mb * 2**20
    limits = ["/usr/bin/prlimit", f"--data={memory}",
              f"--as={memory + ADDRESS_SPACE_SLACK_MB * 2**20}",
              f"--fsize={max_file_mb * 2**20}", f"--cpu={cpu_seconds}", "--core=0"]
    # The kernel reads its connection file where the sandbox shows it.
    kernel_cmd = [f"{SOCKETS}/connection.json" if part == str(private / "connection.json")
                  else part for part in kernel_cmd]
    kernel_cmd = ["/bin/sh", "-c", _COPY_THEN_RUN, "sandbox", HOME_START, WORK, *kernel_cmd]
    if uid is not None:
        # Root: bwrap keeps only the right to change user, then the kernel becomes `uid`,
        # losing every capability; the process limit then counts this kernel's processes.
        command += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--",
                    "/usr/bin/setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
                    "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--",
                    *limits, f"--nproc={max_processes}", "--"]
    else:
        # An ordinary user: a user namespace; the process limit counts all of that user's
        # processes, so it is set above those already running.
        mine = _processes_of(os.getuid())
        command[1:1] = ["--unshare-user"]
        command += ["--", *limits, f"--nproc={mine + max_processes}", "--"]
    return command + kernel_cmd


def _processes_of(uid: int) -> int:
    count = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    count += 1
            except OSError:
                pass
    return count


def copy_submission(folder: Path, scratch: Path, max_mb: int) -> list[str]:
    """Copy the submission's files (not its notebooks) into ``scratch``; return what was left.

    The copy is the kernel's to change; the graded folder itself is never in its view.
    """
    skipped, budget = [], max_mb * 2**20
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if path.is_symlink() or path.suffix == ".ipynb" or ".ipynb_checkpoints" in path.parts:
            continue
        if path.is_dir():
            (scratch / relative).mkdir(parents=True, exist_ok=True)
            continue
        size = path.stat().st_size
        if size > budget:
            skipped.append(str(relative))
            continue
        budget -= size
        (scratch / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, scratch / relative)
    return skipped


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernels run in a bubblewrap sandbox (see the module's text)."""

    memory_mb = Integer(4096, help="memory a kernel may use, MB (its data segment; its address "
                        "space may be 2048 MB larger)").tag(config=True)
    max_processes = Integer(64, help="processes and threads a kernel may run").tag(config=True)
    max_file_mb = Integer(64, help="largest file a kernel may write, MB").tag(config=True)
    cpu_seconds = Integer(900, help="CPU seconds a kernel may use in all").tag(config=True)
    disk_mb = Integer(256, help="size of HOME (which holds the working folder) and of /tmp, "
                      "MB each; both are memory-backed").tag(config=True)
    copy_mb = Integer(100, help="submission files copied into the working folder, MB"
                      ).tag(config=True)
    extra_env = List(Unicode(), ["OMP_NUM_THREADS=1", "OPENBLAS_NUM_THREADS=1",
                                 "MKL_NUM_THREADS=1", "MPLBACKEND=agg"],
                     help="NAME=value settings for the kernel's environment").tag(config=True)
    sandbox = Bool(True, help="False runs kernels without a sandbox (unsafe)").tag(config=True)

    _private: Path | None = None

    def _environment(self) -> dict[str, str]:
        path = os.pathsep.join([os.path.dirname(os.path.normpath(sys.executable)),
                                "/usr/local/bin", "/usr/bin",
                                "/bin"])
        env = {"PATH": path, "HOME": HOME, "TMPDIR": "/tmp", "LANG": "C.UTF-8",
               "PYTHONNOUSERSITE": "1", "PYTHONDONTWRITEBYTECODE": "1",
               "MPLCONFIGDIR": f"{HOME}/.config/matplotlib", "JPY_PARENT_PID": "1"}
        # NBGRADER_EXECUTION tells a notebook it is being graded (chapter 7 then skips its
        # long training runs).
        for name in ("NNBOOK_MNIST_DIR", "NNBOOK_MNIST_DOWNLOAD", "OPENBLAS_CORETYPE",
                     "OPENBLAS_L2_SIZE", "NBGRADER_EXECUTION", "NBGRADER_VALIDATING"):
            if os.environ.get(name):
                env[name] = os.environ[name]
        for setting in self.extra_env:
            name, _, value = setting.partition("=")
            env[name] = value
        return env

    async def _async_pre_start_kernel(self, **kw):
        if not self.sandbox:
            return await super()._async_pre_start_kernel(**kw)
        check_sandbox()
        # A signal would reach bwrap, not the kernel inside: interrupts are asked of the kernel.
        self.kernel_spec.interrupt_mode = "message"
        if self._private is None:
            self._private = Path(tempfile.mkdtemp(prefix="nnbook-kernel-"))
            folder = Path(kw.get("cwd") or os.getcwd())
            scratch = self._private / "home" / "work"
            scratch.mkdir(parents=True)
            self.skipped_files = copy_submission(folder, scratch, self.copy_mb)
            fonts = matplotlib_font_list()
            if fonts is not None:
                config = self._private / "home" / ".config" / "matplotlib"
                config.mkdir(parents=True)
                shutil.copyfile(fonts, config / fonts.name)
            self._uid = None
            if os.geteuid() == 0:
                self._uid = SANDBOX_UIDS[(os.getpid() * 97 + id(self)) % len(SANDBOX_UIDS)]
                for root, dirs, files in os.walk(self._private):
                    for name in [root, *(os.path.join(root, n) for n in dirs + files)]:
                        os.chown(name, self._uid, self._uid)
            os.chmod(self._private, 0o700)
            self.log.info("A sandboxed kernel's private folder: %s", self._private)
        # ZeroMQ over Unix sockets that the kernel creates in its own memory-backed folder:
        # it has no network, and no folder of the host to write to.
        self.transport = "ipc"
        self.ip = f"{SOCKETS}/kernel"
        self.connection_file = str(self._private / "connection.json")
        kw["cwd"] = str(self._private)
        result = await super()._async_pre_start_kernel(**kw)
        if self._uid is not None:
            os.chown(self.connection_file, self._uid, self._uid)
        return result

    async def _async_post_start_kernel(self, **kw):
        if self.sandbox:
            # The grader reaches the sockets through the sandbox's root, /proc/<pid>/root.
            self.ip = f"/proc/{self._sandbox_pid()}/root{SOCKETS}/kernel"
        return await super()._async_post_start_kernel(**kw)

    post_start_kernel = _async_post_start_kernel

    def _sandbox_pid(self) -> int:
        """The first process inside the sandbox: bwrap's child, in the sandbox's mounts."""
        process = self.provisioner.process
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                pids = children.read_text().split()
            except OSError:
                pids = []
            if pids:
                return int(pids[0])
            if process.poll() is not None:
                raise RuntimeError("the sandbox stopped as it started: "
                                   f"bwrap exited with status {process.returncode}")
            time.sleep(0.005)
        raise RuntimeError("the sandbox did not start within 10 s")

    def format_kernel_cmd(self, extra_arguments=None):
        cmd = super().format_kernel_cmd(extra_arguments)
        if not self.sandbox:
            return cmd
        assert self._private is not None
        # Python started as `../.venv/bin/python` names a folder the kernel cannot see.
        cmd = [os.path.normpath(part) if part == sys.executable else part for part in cmd]
        return sandbox_command(
            cmd, private=self._private, home=self._private / "home", uid=self._uid,
            memory_mb=self.memory_mb, max_processes=self.max_processes,
            max_file_mb=self.max_file_mb, cpu_seconds=self.cpu_seconds,
            tmp_mb=self.disk_mb, environment=self._environment())

    async def _async_cleanup_resources(self, restart: bool = False):
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            self._remove_private()

    # AsyncKernelManager binds the public name to the base class's coroutine function.
    cleanup_resources = _async_cleanup_resources

    def _remove_private(self) -> None:
        if self._private is not None:
            shutil.rmtree(self._private, ignore_errors=True)
            self._private = None
