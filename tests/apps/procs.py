"""procs.py - Python starting processes, for tests/e2e/test_apps.py: the
same script runs natively and under Kiln and prints only what must match.

subprocess.run of another program with its output captured, a shell
pipeline through /bin/sh (shell=True; busybox sh in the image), os.fork
with os.waitpid, and a multiprocessing.Pool(4) map."""
import multiprocessing
import os
import subprocess
import sys


def square(n):
    return n * n


def main():
    r = subprocess.run([sys.executable, "-c",
                        "import sys; print('child says', sys.argv[1]); "
                        "sys.exit(3)", "hello"],
                       capture_output=True)
    print("subprocess.run:", r.returncode, r.stdout, r.stderr)

    r = subprocess.run("echo one two three | tr a-z A-Z | sed s/TWO/2/",
                       shell=True, capture_output=True, text=True)
    print("pipeline:", r.returncode, r.stdout.strip())

    out = subprocess.check_output("echo $((6 * 7)); exit 0", shell=True,
                                  text=True)
    print("check_output:", out.strip())

    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        os.write(w, b"from the child %d" % (os.getppid() == parent))
        os._exit(5)
    os.close(w)
    got = os.read(r, 100)
    wpid, status = os.waitpid(pid, 0)
    print("fork:", got, wpid == pid, os.WIFEXITED(status),
          os.WEXITSTATUS(status))

    with multiprocessing.Pool(4) as pool:
        squares = pool.map(square, range(100))
    print("Pool(4).map:", sum(squares), squares[:5], squares[-1])


if __name__ == "__main__":
    parent = os.getpid()
    main()
