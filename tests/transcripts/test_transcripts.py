"""The "Try it" transcripts of the stage READMEs, played against the stages.

A transcript is a ```console block whose line before is `<!-- transcript -->`. It reads as a
terminal session, and this test plays it line by line:

  $ build/bin/stepNN_name [OPTIONS] &   starts the README's stage (the first line; the test
                                        runs it from the build directory on --port 0)
  [1] 4242                              the shell's job number and process id: skipped
  $ nc 127.0.0.1 PORT                   opens one more connection; the earlier ones stay open
  > LINE                                a line typed into the newest connection; `>` alone is a
                                        blank line. Consecutive `>` lines are sent in one write,
                                        as if pasted together
  ^C                                    closes the newest connection (nc ends)
  $ kill -TERM %1                       signals the stage (-TERM or -INT)
  [1]+  Done   ...                      the stage has exited with status 0 (`Exit N`: with N)
  any other line                        output, compared exactly: after the stage's start or a
                                        kill, the stage's stdout (a line that starts with a log
                                        timestamp is looked for in its stderr, the timestamp
                                        aside); after `$ nc` or `>`, the replies on that
                                        connection, in order

PORT, in `$ nc` and in the listening line, is the stage's own port as the README shows it
(7000 + N, or --port); the test uses the real one in its place. A `$` line or an output line
may end with a comment for the reader: two spaces, `#`, a space, text. Two comments change how
an output line is checked:

  # once ...     the reply may need the workers to catch up first: the single request before
                 it is sent again until this reply comes, within the timeout. Only where sending
                 it again changes nothing: a command (an object with "type"), or an event the
                 stage has just refused with server_busy.
  # varies ...   a reply line must come; what it says is not compared.

So an output line cannot itself hold two spaces and a `#` (a typed `>` line can: it is sent
as it stands, trailing spaces aside).

Replies that were not expected fail the test when they are already there at a `^C` or at the
end. Every wait is bounded (TIMEOUT), and the stage is killed on every way out.

Usage: test_transcripts.py --bin-dir BUILD/bin --source-dir SOURCE [unittest options, e.g.
-k step05]
"""

import argparse
import ctypes
import json
import os
import queue
import re
import select
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

TIMEOUT = 10.0  # seconds for one expected line, one connection, or the stage's exit
RETRY_EVERY = 0.02  # seconds between two sendings of a `# once` request

MARKER = re.compile(r"^<!--\s*transcript\b.*-->\s*$")
COMMENT = re.compile(r"^(.*?\S)\s{2,}#(?: (.*))?$")
JOB_STARTED = re.compile(r"^\[\d+\]\s+\d+$")
JOB_ENDED = re.compile(r"^\[\d+\][+-]?\s+(?:Done|Exit (\d+))(?:\s.*)?$")
LOG_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ")
LISTENING = re.compile(r"^step\d\d listening on (\S+):(\d+)$")
KILL = re.compile(r"^kill -(TERM|INT) %1$")
SERVER_BUSY = '{"status":"rejected","reason":"server_busy"}'


class TranscriptError(AssertionError):
    """A transcript that cannot be read, or a stage that did not answer as it says."""


class Step:
    """One line of a transcript: kind is start, job, nc, send, close, kill, ended or output."""

    def __init__(self, kind, where, text, comment=None, lines=None):
        self.kind, self.where, self.text, self.comment = kind, where, text, comment
        self.lines = lines  # send: the lines typed; close: None


class Transcript:
    def __init__(self, readme, first_line, stage, steps):
        self.readme, self.first_line, self.stage, self.steps = readme, first_line, stage, steps


def split_comment(text):
    m = COMMENT.match(text)
    return (m.group(1), (m.group(2) or "").strip()) if m else (text, None)


def parse_readme(path, stage):
    """Every transcript of one README, as a list of Transcript."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    name = os.path.relpath(path)
    found = []
    i = 0
    while i < len(lines):
        if not MARKER.match(lines[i].strip()):
            i += 1
            continue
        where = f"{name}:{i + 1}"
        if i + 1 >= len(lines) or lines[i + 1].strip() != "```console":
            raise TranscriptError(f"{where}: a transcript marker must be followed by ```console")
        body_start = i + 2
        end = body_start
        while end < len(lines) and lines[end].strip() != "```":
            end += 1
        if end == len(lines):
            raise TranscriptError(f"{where}: the transcript's block is never closed")
        body = [(f"{name}:{n + 1}", lines[n]) for n in range(body_start, end)]
        found.append(Transcript(name, body_start, stage, parse_body(body, stage)))
        i = end + 1
    return found


def parse_body(body, stage):
    steps = []
    for where, raw in body:
        line = raw.rstrip()
        if line.startswith("$ "):
            command, comment = split_comment(line[2:].strip())
            steps.append(parse_command(where, command, comment, stage, not steps))
        elif line == ">" or line.startswith("> "):
            typed = line[2:] if line.startswith("> ") else ""
            if steps and steps[-1].kind == "send":
                steps[-1].lines.append(typed)
            else:
                steps.append(Step("send", where, line, lines=[typed]))
        elif line == "^C":
            steps.append(Step("close", where, line))
        elif JOB_STARTED.match(line):
            steps.append(Step("job", where, line))
        elif JOB_ENDED.match(line):
            steps.append(Step("ended", where, line))
        else:
            text, comment = split_comment(line)
            steps.append(Step("output", where, text, comment))
    if not steps or steps[0].kind != "start":
        first = body[0][0] if body else "(empty block)"
        raise TranscriptError(f"{first}: a transcript starts the stage: $ build/bin/{stage} ... &")
    return steps


def parse_command(where, command, comment, stage, first):
    if first:
        try:
            words = shlex.split(command)
        except ValueError as e:
            raise TranscriptError(f"{where}: {e}") from None
        if words[:1] != [f"build/bin/{stage}"] or words[-1:] != ["&"]:
            raise TranscriptError(f"{where}: a transcript starts its own stage in the "
                                  f"background: $ build/bin/{stage} [OPTIONS] &")
        step = Step("start", where, command, comment)
        step.args, step.port = [], 7000 + int(stage[4:6])
        options = iter(words[1:-1])
        for word in options:
            if word == "--port":
                step.port = int(next(options, "0"))
            elif word.startswith("--port="):
                step.port = int(word.split("=", 1)[1])
            else:
                step.args.append(word)
        return step
    words = command.split()
    if len(words) == 3 and words[0] == "nc":
        if words[1] != "127.0.0.1" or not words[2].isdigit():
            raise TranscriptError(f"{where}: expected $ nc 127.0.0.1 PORT")
        step = Step("nc", where, command, comment)
        step.port = int(words[2])
        return step
    m = KILL.match(command)
    if m:
        step = Step("kill", where, command, comment)
        step.signal = signal.SIGTERM if m.group(1) == "TERM" else signal.SIGINT
        return step
    raise TranscriptError(f"{where}: a command the test cannot play: $ {command} (it knows the "
                          "stage's start, nc 127.0.0.1 PORT and kill -TERM|-INT %1)")


PR_SET_PDEATHSIG = 1
prctl = ctypes.CDLL(None, use_errno=True).prctl


def die_with_parent():
    """In the stage's process, before exec: if the test dies, so does the stage."""
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


class Connection:
    def __init__(self, sock, where):
        self.sock, self.where, self.buffer, self.eof = sock, where, b"", False

    def read_line(self, deadline):
        """The next line without its \\n; None at EOF; raises TimeoutError past deadline."""
        while b"\n" not in self.buffer:
            if self.eof:
                return None
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            if select.select([self.sock], [], [], left)[0]:
                self.receive()
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line.decode("utf-8", "replace")

    def unexpected(self):
        """Reply bytes already here that the transcript did not show, or b''."""
        while not self.eof and select.select([self.sock], [], [], 0)[0]:
            self.receive()
        return self.buffer

    def receive(self):
        try:
            data = self.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError:  # reset: nothing more will come
            data = b""
        self.buffer += data
        self.eof = not data


class Player:
    """Plays one transcript against the stage's binary in bin_dir."""

    def __init__(self, transcript, bin_dir, timeout=TIMEOUT):
        self.t, self.bin_dir, self.timeout = transcript, bin_dir, timeout
        self.proc = None
        self.stdout, self.stderr = queue.Queue(), queue.Queue()
        self.stderr_seen = []
        self.pumps = []
        self.conns = []
        self.readme_port = self.real_port = None
        self.listening = None  # the stage's listening line, until the transcript shows it
        self.target = None  # whose output an output line is: "stage" or a Connection
        self.last_sent = None  # the step that sent the lines being answered
        self.answered = 0  # replies read since then

    def play(self):
        try:
            for step in self.t.steps:
                getattr(self, "do_" + step.kind)(step)
            for conn in self.conns:
                self.no_more_replies(conn, self.t.steps[-1])
        finally:
            self.stop()

    def fail(self, step, message):
        log = self.stderr_seen[-20:]
        while not self.stderr.empty():
            line = self.stderr.get_nowait()
            if line is not None:
                log.append(line.rstrip("\n"))
        tail = "\n  the stage's stderr:\n    " + "\n    ".join(log) if log else ""
        raise TranscriptError(f"{step.where}: {message}{tail}")

    def deadline(self):
        return time.monotonic() + self.timeout

    # the steps

    def do_start(self, step):
        binary = os.path.join(self.bin_dir, self.t.stage)
        if not os.access(binary, os.X_OK):
            self.fail(step, f"no binary {binary}: build the project first")
        self.proc = subprocess.Popen([binary, *step.args, "--port", "0"], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     encoding="utf-8", errors="replace",
                                     preexec_fn=die_with_parent)
        for stream, into in ((self.proc.stdout, self.stdout), (self.proc.stderr, self.stderr)):
            pump = threading.Thread(target=self.pump, args=(stream, into), daemon=True)
            pump.start()
            self.pumps.append(pump)
        line = self.next_line(self.stdout, step, "its listening line")
        m = LISTENING.match(line)
        if not m:
            self.fail(step, f"expected the listening line, got {line!r}")
        self.readme_port, self.real_port = step.port, int(m.group(2))
        self.listening = line
        self.target = "stage"

    @staticmethod
    def pump(stream, into):
        for line in stream:
            into.put(line)
        into.put(None)

    def do_job(self, step):
        pass

    def do_nc(self, step):
        if step.port != self.readme_port:
            self.fail(step, f"nc to port {step.port}, but the stage listens on {self.readme_port}")
        try:
            sock = socket.create_connection(("127.0.0.1", self.real_port), timeout=self.timeout)
        except OSError as e:
            self.fail(step, f"could not connect: {e}")
        sock.setblocking(False)
        self.conns.append(Connection(sock, step.where))
        self.target, self.last_sent, self.answered = self.conns[-1], None, 0

    def do_send(self, step):
        if not self.conns:
            self.fail(step, "typed with no connection open: $ nc first")
        data = "".join(line + "\n" for line in step.lines).encode()
        self.send(step, self.conns[-1], data)
        self.target, self.last_sent, self.answered = self.conns[-1], step, 0

    def send(self, step, conn, data):
        conn.sock.setblocking(True)
        conn.sock.settimeout(self.timeout)
        try:
            conn.sock.sendall(data)
        except OSError as e:
            self.fail(step, f"could not send: {e}")
        finally:
            conn.sock.setblocking(False)

    def do_close(self, step):
        if not self.conns:
            self.fail(step, "^C with no connection open")
        conn = self.conns.pop()
        try:
            self.no_more_replies(conn, step)
        finally:
            conn.sock.close()
        self.target = None

    def no_more_replies(self, conn, step):
        extra = conn.unexpected()
        if extra:
            self.fail(step, f"the connection opened at {conn.where} got replies the transcript "
                      f"does not show: {extra.decode('utf-8', 'replace')!r}")

    def do_kill(self, step):
        if self.proc.poll() is not None:
            self.fail(step, f"the stage has already exited, with status {self.proc.returncode}")
        self.proc.send_signal(step.signal)
        self.target = "stage"

    def do_ended(self, step):
        status = int(JOB_ENDED.match(step.text).group(1) or 0)
        try:
            got = self.proc.wait(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            self.fail(step, f"the stage has not exited after {self.timeout} s")
        if got != status:
            self.fail(step, f"expected exit status {status}, got {got}")
        self.target = None

    def do_output(self, step):
        if self.target == "stage":
            self.stage_output(step)
        elif isinstance(self.target, Connection):
            self.reply(step, self.target)
        else:
            self.fail(step, f"output with nobody to print it (after ^C or the stage's end): "
                      f"{step.text!r}")

    def stage_output(self, step):
        if LOG_TIMESTAMP.match(step.text):
            want = LOG_TIMESTAMP.sub("", step.text)
            deadline = self.deadline()
            while True:
                line = self.next_line(self.stderr, step, "a log line", deadline)
                self.stderr_seen.append(line)
                if LOG_TIMESTAMP.sub("", line.rstrip("\n")) == want:
                    return
        if self.listening is not None:
            got, self.listening = self.listening, None
            m = LISTENING.match(got)
            got = got[:m.start(2)] + str(self.readme_port)
        else:
            got = self.next_line(self.stdout, step, "a line on stdout")
        if step.comment is not None and step.comment.startswith("varies"):
            return
        if got != step.text:
            self.fail(step, f"the stage printed something else\n  expected: {step.text}\n"
                      f"  got:      {got}")

    def next_line(self, lines, step, what, deadline=None):
        try:
            left = (deadline or self.deadline()) - time.monotonic()
            line = lines.get(timeout=max(left, 0))
        except queue.Empty:
            self.fail(step, f"waited {self.timeout} s for {what} of the stage: {step.text!r}")
        if line is None:
            self.fail(step, f"the stage closed its output (exit status {self.proc.poll()}) "
                      f"before {what}: {step.text!r}")
        return line.rstrip("\n")

    def reply(self, step, conn):
        got = self.read_reply(step, conn)
        self.answered += 1
        comment = step.comment or ""
        if comment.startswith("varies") or got == step.text:
            return
        if comment.startswith("once"):
            self.again_until(step, conn, got)
            return
        self.fail(step, f"a different reply\n  expected: {step.text}\n  got:      {got}")

    def read_reply(self, step, conn):
        try:
            got = conn.read_line(self.deadline())
        except TimeoutError:
            self.fail(step, f"no reply within {self.timeout} s; expected: {step.text}")
        if got is None:
            self.fail(step, f"the stage closed the connection; expected: {step.text}")
        return got

    def again_until(self, step, conn, got):
        sent = self.last_sent
        if sent is None or len(sent.lines) != 1 or self.answered != 1:
            self.fail(step, "`# once` is for the one reply to one typed line")
        deadline = self.deadline()
        while got != step.text:
            if not (is_command(sent.lines[0]) or got == SERVER_BUSY):
                self.fail(step, "a different reply, and sending the request again would change "
                          f"something\n  expected: {step.text}\n  got:      {got}")
            if time.monotonic() > deadline:
                self.fail(step, f"still a different reply after {self.timeout} s\n"
                          f"  expected: {step.text}\n  got:      {got}")
            time.sleep(RETRY_EVERY)
            self.send(step, conn, (sent.lines[0] + "\n").encode())
            got = self.read_reply(step, conn)

    def stop(self):
        for conn in self.conns:
            conn.sock.close()
        self.conns = []
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for pump in self.pumps:  # the pipes end with the stage
            pump.join(self.timeout)
        self.proc.stdout.close()
        self.proc.stderr.close()


def is_command(line):
    try:
        value = json.loads(line)
    except ValueError:
        return False
    return isinstance(value, dict) and "type" in value


def stages(source_dir):
    return sorted(d for d in os.listdir(source_dir) if re.fullmatch(r"step\d\d_\w+", d)
                  and os.path.isdir(os.path.join(source_dir, d)))


SOURCE_DIR = BIN_DIR = None


class TestStageTranscripts(unittest.TestCase):
    """Every stage's README has at least one transcript, and each one is true."""

    def test_there_are_stages(self):
        self.assertTrue(stages(SOURCE_DIR), f"no step[0-9][0-9]_* directory in {SOURCE_DIR}")


def make_stage_test(stage):
    def test(self):
        readme = os.path.join(SOURCE_DIR, stage, "README.md")
        transcripts = parse_readme(readme, stage)
        if not transcripts:
            self.fail(f"{os.path.relpath(readme)}: no transcript (a ```console block after "
                      "<!-- transcript -->)")
        for t in transcripts:
            Player(t, BIN_DIR).play()
    return test


class TestPlayer(unittest.TestCase):
    """The test itself fails when a transcript is wrong, and says where."""

    def play(self, text, stage="step01_echo", timeout=TIMEOUT):
        path = os.path.join(self.tmp, "README.md")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        for t in parse_readme(path, stage):
            Player(t, BIN_DIR, timeout).play()

    def setUp(self):
        self.tmp_dir = tempfile.TemporaryDirectory()
        self.tmp = self.tmp_dir.name

    def tearDown(self):
        self.tmp_dir.cleanup()

    START = ("<!-- transcript -->\n```console\n$ build/bin/step01_echo &\n[1] 4242\n"
             "step01 listening on 127.0.0.1:7001\n$ nc 127.0.0.1 7001\n")

    def test_a_true_transcript_passes(self):
        self.play(self.START + "> hello\nhello\n>\n> again\nagain  # a comment\n^C\n```\n")

    def test_a_wrong_reply_names_the_line(self):
        with self.assertRaisesRegex(TranscriptError, r"README.md:8: a different reply\n"
                                    r"  expected: goodbye\n  got:      hello"):
            self.play(self.START + "> hello\ngoodbye\n```\n")

    def test_a_missing_reply_times_out(self):
        with self.assertRaisesRegex(TranscriptError, r"README.md:8: no reply within 0.3 s"):
            self.play(self.START + ">\nhello\n```\n", timeout=0.3)

    def test_an_unexpected_reply_fails(self):
        with self.assertRaisesRegex(TranscriptError, r"README.md:10: .* got replies the "
                                    r"transcript does not show: 'two\\n'"):
            # one write, two lines: both replies come back in one read
            self.play(self.START + "> one\n> two\none\n^C\n```\n")

    def test_the_stage_must_be_the_readmes(self):
        with self.assertRaisesRegex(TranscriptError, r"README.md:3: .*build/bin/step01_echo"):
            self.play(self.START.replace("step01_echo &", "step02_async &") + "```\n")

    def test_a_wrong_port_fails(self):
        with self.assertRaisesRegex(TranscriptError, r"nc to port 7002"):
            self.play(self.START.replace("nc 127.0.0.1 7001", "nc 127.0.0.1 7002") + "```\n")

    def test_a_wrong_listening_line_fails(self):
        with self.assertRaisesRegex(TranscriptError, r"README.md:5: the stage printed something"):
            self.play(self.START.replace("step01 listening", "step01 listens") + "```\n")


def main():
    global SOURCE_DIR, BIN_DIR
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin-dir", required=True)
    parser.add_argument("--source-dir", required=True)
    args, rest = parser.parse_known_args()
    SOURCE_DIR, BIN_DIR = os.path.abspath(args.source_dir), os.path.abspath(args.bin_dir)
    os.chdir(SOURCE_DIR)  # README paths in messages are relative to the source
    for stage in stages(SOURCE_DIR):
        setattr(TestStageTranscripts, f"test_{stage}", make_stage_test(stage))
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)


if __name__ == "__main__":
    main()
