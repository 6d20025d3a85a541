"""drain: the stage 10 lesson. SIGTERM in the middle of a pipelined load: the final
metrics line's `processed` against the `accepted` replies loadgen got."""

import json
import signal
import subprocess
import time

from ..formatting import row_md
from ..loadgen import loadgen_args
from ..processes import ScenarioError
from ..settings import SERVER_STOP_S
from .base import Chart, DataFile, Scenario, text_cell


def parse_metrics(text):
    """The last JSON object line of a server's stdout."""
    for line in reversed(text.strip().splitlines()):
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict) and "processed" in value:
            return value
    return None


def outcome(result):
    """The verdict's conclusion: clean, not clean, or nothing to judge."""
    m = result["final_metrics"]
    if m["received"] == 0:
        return "cannot judge: the server received no event before SIGTERM."
    lost = result["server_accepted"] - m["processed"]
    if lost == 0 and result["client_accepted"] <= m["processed"] and result["exit_status"] == 0:
        return "every accepted event was processed."
    return f"NOT CLEAN ({lost} accepted events lost)."


class Drain(Scenario):
    name = "drain"
    stages = (10,)
    blurb = "SIGTERM under load: 10"
    column = "drain"
    full = {"drain_s": 3.0, "drain_signal_s": 1.0}
    quick = {"drain_s": 1.5, "drain_signal_s": 0.5}

    def run(self, res):
        cfg = res.cfg
        server = res.server(10, [], self.name)
        with server:
            pending = res.loadgen(self.name, 10, "SIGTERM mid-run",
                                  loadgen_args(server.port, duration=cfg.drain_s))
            time.sleep(cfg.drain_signal_s)
            signalled_at = time.monotonic()
            server.signal(signal.SIGTERM)
            try:
                server.proc.wait(timeout=SERVER_STOP_S)
            except subprocess.TimeoutExpired:
                pass
            drain_s = time.monotonic() - signalled_at
            status, stdout = server.stop()
            res.collect(pending)
        raw = res.runs[-1]["loadgen"]
        metrics = parse_metrics(stdout)
        if metrics is None:
            raise ScenarioError(f"step10 printed no final metrics line after SIGTERM: {stdout!r}")
        client = raw["replies_whole_run"]
        return {"signal_after_s": cfg.drain_signal_s, "exit_status": status, "drain_s": drain_s,
                "final_metrics": metrics, "client_accepted": client["accepted"],
                "client_shutting_down": client["rejected/shutting_down"],
                "client_busy": client["rejected/server_busy"],
                "server_accepted": metrics["received"] - metrics["dropped"],
                "unanswered": raw["errors"]["unanswered"]}

    def verdict(self, result):
        m = result["final_metrics"]
        whole = m["received"] == m["processed"] + m["dropped"]
        return (f"SIGTERM after {result['signal_after_s']:.1f} s of load: loadgen got "
                f"{result['client_accepted']:,} accepted, the server processed "
                f"{m['processed']:,} (received {m['received']:,} = processed + dropped "
                f"{m['dropped']:,}: {'yes' if whole else 'NO'}), exit status "
                f"{result['exit_status']} after {result['drain_s']:.2f} s: " + outcome(result))

    def cell(self, result, stage):
        m = result["final_metrics"]
        return (f"{result['client_accepted']:,} accepted, {m['processed']:,} processed, "
                f"exit {result['exit_status']}")

    def details(self, result):
        m = result["final_metrics"]
        return "\n".join([
            "### drain (step10, 64 conns × 32, SIGTERM mid-run)", "",
            "| loadgen: accepted | shutting_down | server_busy | unanswered | server: received "
            "| processed | dropped | exit | drain time |", "|---|---|---|---|---|---|---|---|---|",
            row_md([f"{result['client_accepted']:,}", f"{result['client_shutting_down']:,}",
                    f"{result['client_busy']:,}", f"{result['unanswered']:,}",
                    f"{m['received']:,}", f"{m['processed']:,}", f"{m['dropped']:,}",
                    str(result["exit_status"]), f"{result['drain_s']:.2f} s"]),
            "", "`unanswered`: requests still in flight when the server closed the connections "
            "after its last read (never read, so never accepted)."])

    def charts(self, result):
        m = result["final_metrics"]
        bars = [("loadgen: accepted", result["client_accepted"]),
                ("server: accepted", result["server_accepted"]),
                ("server: processed", m["processed"]), ("server: dropped", m["dropped"])]
        data = DataFile("drain.dat", ["what", "thousands", "label"],
                        [[text_cell(what), n / 1e3, text_cell(f"{n:,}")] for what, n in bars],
                        header_is_data=False)
        heading = (f"SIGTERM after {result['signal_after_s']:.1f} s of load, exit "
                   f"{result['exit_status']} after {result['drain_s']:.2f} s: "
                   + outcome(result).rstrip("."))
        return [Chart("drain", "drain.gp", [data], [heading])]
