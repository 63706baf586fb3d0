#!/usr/bin/env python3
"""check_layers.py - fail when a source file includes across the dependency rule.

The rule is docs/architecture.md's "Layers and the dependency rule": each
folder of kernel/ (and cli/) names the folders whose headers it may
include with quotes ("core/page.h", "arch.h"). Angle-bracket includes are
the toolchain's and the UAPI's, and are not ours to check.

    check_layers.py [ROOT [BUILD]]  check the tree at ROOT (default: .);
                                    with BUILD, also the kernel's objects
    check_layers.py --selftest      plant a bad include and a bad call in
                                    a copy and check that both are caught

Includes are only half of it: a file can call up through a declaration
of its own. With BUILD (the build folder holding kernel/**/*.o), every
symbol an object uses must be defined in a layer its folder may use, or
by the linker script. The kernel's entry points are the one exception:
arch's assembly enters kmain (init/) at boot and syscall_dispatch
(linux/) on every SYSCALL, because that is where control comes in.

Prints one line per folder, "layers: N passed, N failed", and exits 1 when
any include crosses the rule.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

# Who may include whom. "arch" is kernel/arch.h (the one interface to the
# CPU); headers under kernel/arch/x86_64/ are private to arch itself.
ALLOWED = {
    "lib": {"lib"},
    "arch": {"arch", "core", "lib"},
    "core": {"core", "lib", "arch"},
    "drivers": {"drivers", "core", "lib", "arch"},
    "fs": {"fs", "drivers", "core", "lib", "arch"},
    "net": {"net", "fs", "drivers", "core", "lib", "arch"},
    "linux": {"linux", "net", "fs", "drivers", "core", "lib", "arch"},
    "init": {"init", "linux", "net", "fs", "drivers", "core", "lib", "arch"},
    "cli": {"cli", "lib"},
}
SUFFIXES = (".c", ".h", ".S")
ENTRY_POINTS = {("arch", "kmain"), ("arch", "syscall_dispatch")}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def layer_of_file(rel):
    """The layer a source file belongs to, or None when none applies."""
    parts = rel.split("/")
    if parts[0] == "cli":
        return "cli"
    if parts[0] != "kernel" or len(parts) < 2:
        return None
    if parts[1] == "arch.h":
        return "arch"
    return parts[1] if len(parts) > 2 else None


def layer_of_include(name, src_layer):
    """The layer an include names ("arch.h" is arch; same-folder names too)."""
    if name == "arch.h":
        return "arch"
    if "/" not in name:
        return src_layer  # a header beside the file (cli's own headers)
    return name.split("/")[0]


def violations(root):
    """Yield (layer, 'file:line: message') for each include across the rule."""
    for top in ("kernel", "cli"):
        for d, _, files in os.walk(os.path.join(root, top)):
            for f in sorted(files):
                if not f.endswith(SUFFIXES):
                    continue
                path = os.path.join(d, f)
                rel = os.path.relpath(path, root)
                layer = layer_of_file(rel)
                if layer is None:
                    continue
                with open(path, encoding="utf-8", errors="replace") as fh:
                    for n, line in enumerate(fh, 1):
                        m = INCLUDE.match(line)
                        if not m:
                            continue
                        name = m.group(1)
                        target = layer_of_include(name, layer)
                        if name.startswith("arch/") and layer != "arch":
                            yield layer, (f"{rel}:{n}: includes {name}: arch's "
                                          "own headers are private; use arch.h")
                        elif target not in ALLOWED[layer]:
                            yield layer, (f"{rel}:{n}: {layer}/ may not include "
                                          f"{name} ({target}/)")


def kernel_objects(root, build):
    """(layer, object path) of each kernel source's object in build."""
    for d, _, files in os.walk(os.path.join(root, "kernel")):
        for f in sorted(files):
            if f.endswith((".c", ".S")):
                rel = os.path.relpath(os.path.join(d, f), root)
                obj = os.path.join(build, rel + ".o")
                if os.path.exists(obj):
                    yield layer_of_file(rel), rel, obj


def symbol_violations(root, build):
    """Yield (layer, message) for each symbol used across the rule."""
    defined, used = {}, []
    for layer, rel, obj in kernel_objects(root, build):
        out = subprocess.run(["nm", obj], capture_output=True, text=True,
                             check=True).stdout
        for line in out.splitlines():
            f = line.split()
            if len(f) == 2 and f[0] == "U":
                used.append((layer, rel, f[1]))
            elif len(f) == 3 and f[1] in "TDBRC":
                defined[f[2]] = layer
    for layer, rel, sym in used:
        target = defined.get(sym)  # None: the linker script's
        if (target is not None and target not in ALLOWED[layer]
                and (layer, sym) not in ENTRY_POINTS):
            yield layer, f"{rel}: {layer}/ uses {sym} of {target}/"


def check(root, build=None, quiet=False):
    """Print the verdict per layer; return the number of failed layers."""
    bad = {}
    found = list(violations(root))
    if build is not None:
        found += list(symbol_violations(root, build))
    for layer, msg in found:
        bad.setdefault(layer, []).append(msg)
    for layer in ALLOWED:
        if not quiet:
            for msg in bad.get(layer, []):
                print(f"  {msg}")
            print(f"{layer}: {'FAIL' if layer in bad else 'ok'} "
                  f"(may include {', '.join(sorted(ALLOWED[layer]))})")
    failed = len(bad)
    if not quiet:
        print(f"layers: {len(ALLOWED) - failed} passed, {failed} failed")
    return failed


def selftest(root):
    """The check must catch a planted upward include and a planted upward
    call (core/ calling a linux/ function through its own declaration),
    and pass without them."""
    with tempfile.TemporaryDirectory() as tmp:
        for top in ("kernel", "cli"):
            shutil.copytree(os.path.join(root, top), os.path.join(tmp, top))
        clean = check(tmp, quiet=True)
        with open(os.path.join(tmp, "kernel", "fs", "planted.c"), "w") as fh:
            fh.write('#include "linux/proc.h"\n')
        planted = check(tmp, quiet=True)
        os.remove(os.path.join(tmp, "kernel", "fs", "planted.c"))
        build = os.path.join(tmp, "build")
        for rel, text in (("kernel/linux/up.c", "int up(void) { return 1; }\n"),
                          ("kernel/core/call.c",
                           "int up(void);\nint call(void) { return up(); }\n")):
            with open(os.path.join(tmp, rel), "w") as fh:
                fh.write(text)
            os.makedirs(os.path.dirname(os.path.join(build, rel)), exist_ok=True)
            subprocess.run(["cc", "-c", "-o", os.path.join(build, rel + ".o"),
                            os.path.join(tmp, rel)], check=True)
        called = check(tmp, build, quiet=True)
    ok = clean == 0 and planted == 1 and called == 1
    print(f"layers selftest: {'ok' if ok else 'FAIL'} (clean tree {clean} "
          f"failed, planted include {planted}, planted call {called})")
    return 0 if ok else 1


def main(argv):
    if len(argv) > 1 and argv[1] == "--selftest":
        return selftest(argv[2] if len(argv) > 2 else ".")
    root = argv[1] if len(argv) > 1 else "."
    return 1 if check(root, argv[2] if len(argv) > 2 else None) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
