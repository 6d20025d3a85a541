"""two-clients: the stage 01 pain (01, 02, 03). Client A connects and stays idle;
client B sends one line: B's reply time while A is connected, then after A left."""

import select
import socket
import time

from ..formatting import fmt_us, row_md, stage_tag
from ..processes import ScenarioError
from ..settings import HOST
from .base import Chart, DataFile, Scenario, text_cell

EVENT_LINE = b'{"user":"alice","action":"buy","amount":1}\n'
AFTER_LEAVING_WAIT_S = 2.0


def wait_for_reply(sock, timeout_s):
    """Seconds until a full line arrives on sock, or None after timeout_s."""
    start = time.monotonic()
    data = b""
    while b"\n" not in data:
        left = timeout_s - (time.monotonic() - start)
        if left <= 0 or not select.select([sock], [], [], left)[0]:
            return None
        chunk = sock.recv(4096)
        if not chunk:
            return None
        data += chunk
    return time.monotonic() - start


def two_clients_once(port, wait_s):
    """A connects and is served once, then idles; B sends a line; A leaves."""
    with socket.create_connection((HOST, port), timeout=2) as a:
        a.sendall(EVENT_LINE)
        if wait_for_reply(a, 2.0) is None:
            raise ScenarioError("client A got no reply at all")
        b = socket.create_connection((HOST, port), timeout=2)
        try:
            b.sendall(EVENT_LINE)
            while_connected = wait_for_reply(b, wait_s)
            a.close()
            if while_connected is not None:
                b.sendall(EVENT_LINE)
            after_leaving = wait_for_reply(b, AFTER_LEAVING_WAIT_S)
        finally:
            b.close()
    return {"while_a_connected_s": while_connected, "after_a_left_s": after_leaving,
            "waited_s": wait_s}


def fmt_reply(seconds, waited_s):
    if seconds is None:
        return f"no reply in {waited_s:.1f} s"
    return fmt_us(seconds * 1e6)


def reply_bar(seconds, waited_s):
    """One bar of the chart: its height in ms (the wait itself when no reply came), the
    same height again if no reply came (drawn over it in red), and its label."""
    if seconds is None:
        return [waited_s * 1e3, waited_s * 1e3, text_cell(fmt_reply(None, waited_s))]
    return [seconds * 1e3, None, text_cell(fmt_reply(seconds, waited_s))]


class TwoClients(Scenario):
    name = "two-clients"
    stages = (1, 2, 3)
    blurb = "A idle, B sends a line: 01, 02, 03"
    column = "two-clients: B's reply with A connected"
    full = {"two_clients_wait_s": 2.0}
    quick = {"two_clients_wait_s": 0.5}

    def run(self, res):
        rows = {}
        for stage in self.stages:
            with res.server(stage, [], self.name) as server:
                rows[stage] = two_clients_once(server.port, res.cfg.two_clients_wait_s)
        return {"stages": rows}

    def verdict(self, result):
        rows = result["stages"]
        parts = []
        for stage, row in rows.items():
            if row["while_a_connected_s"] is None:
                parts.append(f"step{stage_tag(stage)}: no reply to B in {row['waited_s']:.1f} s "
                             f"while A was connected, then "
                             f"{fmt_reply(row['after_a_left_s'], AFTER_LEAVING_WAIT_S)} after A left")
            else:
                parts.append(f"step{stage_tag(stage)}: B answered in "
                             f"{fmt_reply(row['while_a_connected_s'], 0)} with A connected")
        blocked = [s for s, r in rows.items() if r["while_a_connected_s"] is None]
        lesson = ("only the blocking server makes B wait for A" if blocked == [1]
                  else f"stages that made B wait: {', '.join(stage_tag(s) for s in blocked) or 'none'}")
        return "; ".join(parts) + f": {lesson}."

    def cell(self, result, stage):
        r = result["stages"][stage]
        return fmt_reply(r["while_a_connected_s"], r["waited_s"])

    def details(self, result):
        lines = ["### two-clients", "", "| stage | B's reply, A connected | B's reply after A left |",
                 "|---|---|---|"]
        for s, r in result["stages"].items():
            lines.append(row_md([stage_tag(s), fmt_reply(r["while_a_connected_s"], r["waited_s"]),
                                 fmt_reply(r["after_a_left_s"], AFTER_LEAVING_WAIT_S)]))
        return "\n".join(lines)

    def charts(self, result):
        rows = [[stage_tag(s)] + reply_bar(r["while_a_connected_s"], r["waited_s"])
                + reply_bar(r["after_a_left_s"], AFTER_LEAVING_WAIT_S)
                for s, r in result["stages"].items()]
        header = ["stage", "with_a_ms", "with_a_no_reply_ms", "with_a_label", "after_ms",
                  "after_no_reply_ms", "after_label"]
        data = DataFile("two-clients.dat", header, rows, header_is_data=False)
        return [Chart("two-clients", "two-clients.gp", [data])]
