"""This process's peak memory, for benches and tests that run a stage in a child process."""

from __future__ import annotations

import resource


def peak_rss_bytes() -> int:
    """The largest resident set this process has had.

    Linux's ``VmHWM`` counts from this process's own start. ``ru_maxrss`` does not: a child
    inherits its parent's value across exec, so a child of a large process reports the parent's
    peak however little it uses itself. ``ru_maxrss`` is the fallback where /proc is missing.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
