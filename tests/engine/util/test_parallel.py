"""Worker processes: results in order, a worker's error raised in the parent, and Ctrl-C
or SIGTERM ending the command with one line and no worker left behind."""

import os
import signal
import subprocess
import sys
import time

import pytest

from kickgen.engine.util.parallel import run_parallel

# A command of four 30-second items on two workers, run as `kickgen` runs its commands.
SLOW_COMMAND = """
import time
from kickgen.engine.errors import run_command
from kickgen.engine.util.parallel import run_parallel
print("started", flush=True)
raise SystemExit(run_command("demo", lambda: run_parallel(time.sleep, [30] * 4, jobs=2, desc="", progress=False)))
"""


def test_results_come_back_in_the_items_order():
    assert run_parallel(abs, [-3, 1, -2, 5, -8], jobs=2, desc="", progress=False) == [3, 1, 2, 5, 8]


def test_a_workers_error_is_raised_in_the_parent():
    with pytest.raises(ValueError, match="invalid literal"):
        run_parallel(int, ["1", "two", "3"], jobs=2, desc="", progress=False)


def group_is_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.mark.parametrize("signum, whom, line, code", [
    (signal.SIGINT, "group", "demo: interrupted\n", 130),  # Ctrl-C in a terminal reaches every process
    (signal.SIGTERM, "parent", "demo: terminated\n", 143),
])
def test_a_signal_ends_the_workers_and_says_so_in_one_line(signum, whom, line, code, interruptible):
    command = interruptible([sys.executable, "-c", SLOW_COMMAND], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    assert command.stdout.readline() == "started\n"
    time.sleep(1.5)  # the workers are sleeping in their first items
    if whom == "group":
        os.killpg(command.pid, signum)
    else:
        command.send_signal(signum)
    _, stderr = command.communicate(timeout=20)  # long before the items' 30 s
    assert (command.returncode, stderr) == (code, line)
    deadline = time.monotonic() + 10
    while not group_is_gone(command.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert group_is_gone(command.pid), "a worker outlived the command"
