#!/usr/bin/env python3
"""boot.py - boot the Kiln kernel under QEMU and show what it prints (`make run`)."""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qemu_vm  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("kernel")
    ap.add_argument("--machine", default="microvm", choices=qemu_vm.MACHINES)
    ap.add_argument("--accel", default="auto", choices=("auto", "kvm", "tcg"))
    ap.add_argument("--append", default="", help="kernel command line")
    ap.add_argument("--timeout", type=float, default=60)
    args = ap.parse_args()
    if not os.path.exists(args.kernel):
        sys.exit(f"boot.py: {args.kernel}: no such file (run make first)")
    b = qemu_vm.boot(args.kernel, args.append, args.machine, args.accel,
                     args.timeout)
    sys.stdout.write(b.log)
    sys.stdout.write(b.console)
    if b.timed_out:
        sys.exit(f"boot.py: VM did not finish within {args.timeout:g} s")
    if b.status is None:
        sys.exit(f"boot.py: VM ended without an exit status (QEMU code {b.qemu_rc})")
    print(f"[{qemu_vm.pick_accel(args.accel)}, {args.machine}: "
          f"exit status {b.status}, {b.seconds:.3f} s wall]", file=sys.stderr)
    sys.exit(b.status)


if __name__ == "__main__":
    main()
