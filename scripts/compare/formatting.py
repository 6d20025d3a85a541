"""How figures are written in the report: rates, durations, ratios, shares, rows."""


def fmt_rate(rps):
    if rps is None:
        return "n/a"
    if rps >= 1e6:
        return f"{rps / 1e6:.2f} M/s"
    if rps >= 1e3:
        return f"{rps / 1e3:.1f} k/s"
    return f"{rps:.0f}/s"


def fmt_us(us):
    if us is None:
        return "n/a"
    if us >= 1e6:
        return f"{us / 1e6:.2f} s"
    if us >= 1e3:
        return f"{us / 1e3:.2f} ms"
    return f"{us:.0f} µs"


def fmt_x(value):
    return "n/a" if value is None else f"×{value:.2f}"


def fmt_pct(share):
    return "n/a" if share is None else f"{share * 100:.1f} %"


def fmt_met(met):
    """A target's verdict: True, False, or None when the figures cannot say."""
    return "cannot judge" if met is None else "met" if met else "NOT met"


def stage_tag(stage):
    return f"{stage:02d}"


def row_md(cells):
    """One row of a markdown table."""
    return "| " + " | ".join(cells) + " |"
