"""test_fork.py - processes: what the kernel log says when pid 1 ends with children alive."""
import re
import subprocess

from guest_util import KILN, KILN_ACCEL, HOST_TIMEOUT, guest_path


def test_init_exit_names_killed_children():
    """pid 1 exits while two children sleep: the VM ends with pid 1's
    status at once, and the log names each child it killed."""
    cmd = [KILN, "run", "--verbose", "--timeout", "60", "--accel", KILN_ACCEL,
           guest_path("musl", "fork_init_exit")]
    r = subprocess.run(cmd, capture_output=True, timeout=HOST_TIMEOUT)
    log = r.stderr.decode(errors="replace")
    assert r.returncode == 0, log
    assert r.stdout.decode().endswith("fork_init_exit: all 2 checks passed\n")
    killed = sorted(re.findall(r"^kiln: killing pid (\d+) \((\w+)\)$", log, re.M),
                    key=lambda k: k[1])
    assert [name for _, name in killed] == ["sleeper0", "sleeper1"], log
    assert len({pid for pid, _ in killed}) == 2
    assert all(int(pid) > 1 for pid, _ in killed)
    # The kill lines come before the VM's exit line.
    assert log.index("kiln: killing pid") < log.index("kiln: exit status 0")
