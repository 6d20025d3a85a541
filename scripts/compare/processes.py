"""The processes a run starts: stage servers, Redis, loadgen; all killed on every exit path."""

import os
import re
import select
import shutil
import signal
import socket
import subprocess
import time

from .settings import BIN_DIR, HOST, SERVER_START_S, SERVER_STOP_S, STAGES

LIVE = []          # every Popen started here that may still run


class ScenarioError(Exception):
    """A server did not start, or a measurement could not be taken."""


def spawn(argv, **kwargs):
    """Start a process and remember it, so that every exit path can kill it."""
    proc = subprocess.Popen(argv, **kwargs)
    LIVE.append(proc)
    return proc


def forget(proc):
    if proc in LIVE:
        LIVE.remove(proc)


def kill_everything():
    """SIGKILL every process started here that is still running."""
    for proc in list(LIVE):
        if proc.poll() is None:
            proc.kill()
        try:
            proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            pass
        forget(proc)


def exit_on_signal(signo, _frame):
    raise SystemExit(128 + signo)


class Server:
    """One stage listening on 127.0.0.1 with --port 0; its stderr goes to a log file."""

    def __init__(self, stage, args, log_path):
        self.stage = stage
        self.args = [str(a) for a in args]
        self.log_path = log_path
        self.proc = None
        self.port = None
        self.stdout_rest = b""
        self.stopped = None       # (exit status, rest of stdout) once stopped

    @property
    def pid(self):
        return self.proc.pid

    def start(self):
        argv = [str(BIN_DIR / STAGES[self.stage]), "--host", HOST, "--port", "0", *self.args]
        with open(self.log_path, "ab") as log:
            self.proc = spawn(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log)
        line = self._read_first_line(SERVER_START_S)
        match = re.fullmatch(rb"step(\d\d) listening on ([0-9.]+):(\d+)", line)
        if not match or int(match[1]) != self.stage or match[2].decode() != HOST:
            self.stop()
            raise ScenarioError(f"{STAGES[self.stage]} {' '.join(self.args)} did not start: "
                                f"first line {line!r} (log: {self.log_path})")
        self.port = int(match[3])
        return self

    def _read_first_line(self, timeout_s):
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout_s
        data = b""
        while b"\n" not in data:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return data
            chunk = os.read(fd, 4096)
            if not chunk:
                return data
            data += chunk
        line, self.stdout_rest = data.split(b"\n", 1)
        return line

    def signal(self, signo=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signo)

    def stop(self, timeout_s=SERVER_STOP_S):
        """SIGTERM, a bounded wait, then SIGKILL. Returns (exit status, rest of stdout)."""
        if self.proc is None:
            return None, ""
        if self.stopped is not None:
            return self.stopped
        self.signal(signal.SIGTERM)
        try:
            out, _ = self.proc.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate(timeout=5)
        forget(self.proc)
        rest = (self.stdout_rest + (out or b"")).decode(errors="replace")
        self.stopped = (self.proc.returncode, rest)
        return self.stopped

    def rss_bytes(self):
        with open(f"/proc/{self.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        raise ScenarioError(f"no VmRSS for pid {self.pid}")

    def __enter__(self):
        return self.start()

    def __exit__(self, *_exc):
        self.stop()


def free_port():
    """A port nothing listens on right now (for a server that cannot take port 0)."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class RedisServer(Server):
    """redis-server on 127.0.0.1 with its default configuration but no
    persistence, on a free port; its log goes to a file."""

    def __init__(self, log_dir):
        super().__init__(None, [], log_dir / "redis-server.log")

    @staticmethod
    def binary():
        path = shutil.which("redis-server")
        if not path:
            raise ScenarioError("redis-server is not installed (`make compare` installs it)")
        return path

    @classmethod
    def version(cls):
        try:
            out = subprocess.run([cls.binary(), "--version"], capture_output=True, text=True,
                                 timeout=5).stdout
        except subprocess.TimeoutExpired as err:
            raise ScenarioError("redis-server --version did not answer in 5 s") from err
        match = re.search(r"v=(\S+)", out)
        return match[1] if match else out.strip()

    def start(self):
        self.port = free_port()
        argv = [self.binary(), "--bind", HOST, "--port", str(self.port), "--save", "",
                "--appendonly", "no", "--daemonize", "no", "--logfile", ""]
        with open(self.log_path, "ab") as log:
            self.proc = spawn(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        deadline = time.monotonic() + SERVER_START_S
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                with socket.create_connection((HOST, self.port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(64).startswith(b"+PONG"):
                        return self
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        raise ScenarioError(f"redis-server did not start on port {self.port} "
                            f"(log: {self.log_path})")


class ServerGroup:
    """Several servers started together and always stopped together."""

    def __init__(self, servers):
        self.servers = servers

    def __enter__(self):
        try:
            for server in self.servers.values():
                server.start()
        except BaseException:
            self.__exit__()
            raise
        return self.servers

    def __exit__(self, *_exc):
        for server in self.servers.values():
            server.stop()
