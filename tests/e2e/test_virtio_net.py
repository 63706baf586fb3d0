"""test_virtio_net.py - the virtio-net driver asks QEMU's user-mode gateway for its MAC by ARP.

Networking is QEMU's slirp with restrict=on: the guest can reach only
QEMU's own gateway (10.0.2.2); nothing leaves this machine.
"""
import pytest

NETDEV = ["-netdev", "user,id=n0,restrict=on"]
# QEMU's virtio-mmio transports are legacy (version 1) unless told otherwise.
MODERN_MMIO = ["-global", "virtio-mmio.force-legacy=false"]
MMIO_NET = ["-device", "virtio-net-device,netdev=n0"]
PCI_NET = ["-device", "virtio-net-pci,netdev=n0,romfile="]
# No MSI-X: the driver falls back to the INTx line through the I/O APIC.
PCI_NET_INTX = ["-device", "virtio-net-pci,netdev=n0,romfile=,vectors=0"]

MAC_LINE = "kiln: virtio-net: mac 52:54:00:12:34:56"
REPLY_LINE = "kiln: virtio-net: 10.0.2.2 is at 52:55:0a:00:02:02"
# slirp offers merged receive buffers but no checksum offload (a tap
# does: tests/e2e/test_net_tap.py).
OFFLOAD_LINE = ("kiln: virtio-net: offloads: mrg_rxbuf "
                "(2048-byte receive buffers)")

CASES = {
    # Default microvm: ACPI on, no virtio_mmio.device= on the command line;
    # the driver probes microvm's fixed transports (second I/O APIC).
    "microvm": ("microvm", NETDEV + MODERN_MMIO + MMIO_NET),
    # acpi=off: QEMU appends virtio_mmio.device=512@0xfeb00e00:12.
    "microvm-acpi-off": ("microvm,acpi=off", NETDEV + MODERN_MMIO + MMIO_NET),
    "q35": ("q35", NETDEV + PCI_NET),
    "pc": ("pc", NETDEV + PCI_NET),
    "q35-intx": ("q35", NETDEV + PCI_NET_INTX),
    "pc-intx": ("pc", NETDEV + PCI_NET_INTX),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_arp_reply_from_gateway(boot, case):
    machine, extra = CASES[case]
    b = boot("kiln.test=virtio-net", machine=machine, extra=extra,
             timeout=60)
    assert not b.timed_out, b.log
    lines = b.log.splitlines()
    assert MAC_LINE in lines, b.log
    assert OFFLOAD_LINE in lines, b.log
    assert REPLY_LINE in lines, b.log
    assert lines.index(MAC_LINE) < lines.index(REPLY_LINE)
    assert b.status == 0, b.log


def test_offloads_follow_the_device(boot):
    """What QEMU is told to offer is what the driver takes and logs."""
    b = boot("kiln.test=virtio-net", extra=NETDEV + MODERN_MMIO +
             ["-device", "virtio-net-device,netdev=n0,mrg_rxbuf=off"])
    assert ("kiln: virtio-net: offloads: none (2048-byte receive buffers)"
            in b.log.splitlines()), b.log
    assert b.status == 0, b.log


@pytest.mark.parametrize("value", ["512", "100", "4096", "3000", "x"])
def test_bad_receive_buffer_size(boot, value):
    """kiln.net_rxbuf: a power of 2 from 256 to 2048, and only with
    MRG_RXBUF (without it a buffer must hold a whole frame); anything
    else is logged and 2048 kept."""
    extra = NETDEV + MODERN_MMIO + MMIO_NET
    if value == "512":
        extra = NETDEV + MODERN_MMIO + [
            "-device", "virtio-net-device,netdev=n0,mrg_rxbuf=off"]
    b = boot(f"kiln.test=virtio-net kiln.net_rxbuf={value}", extra=extra)
    lines = b.log.splitlines()
    assert (f"kiln: virtio-net: bad kiln.net_rxbuf={value} (256, 512, 1024 "
            "or 2048, with mrg_rxbuf)") in lines, b.log
    assert any(l.startswith("kiln: virtio-net: offloads:") and
               l.endswith("(2048-byte receive buffers)") for l in lines)
    assert REPLY_LINE in lines, b.log
    assert b.status == 0, b.log


def test_command_line_names_the_device(boot):
    b = boot("kiln.test=virtio-net", machine="microvm,acpi=off",
             extra=NETDEV + MODERN_MMIO + MMIO_NET)
    assert ("kiln: command line: kiln.test=virtio-net "
            "virtio_mmio.device=512@0xfeb00e00:12") in b.log.splitlines()


def test_legacy_mmio_device_is_refused(boot):
    b = boot("kiln.test=virtio-net", machine="microvm,acpi=off",
             extra=NETDEV + MMIO_NET)
    lines = b.log.splitlines()
    assert ("kiln: virtio-mmio: device 1 at 0xfeb00e00 is legacy "
            "(version 1): not supported") in lines, b.log
    assert "kiln: virtio-net: no usable device (-19)" in lines
    assert b.status == 1


@pytest.mark.parametrize("machine", ["microvm", "q35"])
def test_no_device_fails_cleanly(boot, machine):
    b = boot("kiln.test=virtio-net", machine=machine)
    assert not b.timed_out
    assert "kiln: virtio-net: no usable device (-19)" in b.log.splitlines()
    assert b.status == 1
