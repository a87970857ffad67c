"""The appliance test's Debian 12 image: debootstrap, a gpio-sim module, mkfs.ext4 -d (no loop mounts).

Built once into the cache (default /var/cache/qode-appliance/<key>/), keyed on everything that goes
into it: the package list, this file and the mirror. A run boots a qcow2 overlay on top, so the
cached image itself is never written.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SUITE = "bookworm"
MIRROR = os.environ.get("QODE_APPLIANCE_MIRROR", "http://deb.debian.org/debian")
SECURITY = os.environ.get("QODE_APPLIANCE_SECURITY_MIRROR", "http://deb.debian.org/debian-security")
IMAGE_SIZE = "6G"

# What a venue's box has before install.sh runs, plus what the test itself needs to drive it.
# The box (Debian 12 with systemd): everything install.sh, qode-display.service and the kiosk use,
# preinstalled because the guest has no network of its own (install.sh would fetch them with apt).
BOX = [
    "systemd", "systemd-sysv", "udev", "dbus", "libpam-systemd", "kmod", "iproute2", "procps",
    "linux-image-amd64", "initramfs-tools", "ca-certificates", "curl", "python3", "python3-venv",
    "caddy", "cage", "chromium", "polkitd", "xwayland", "fonts-dejavu-core", "fonts-liberation",
    "util-linux", "sqlite3",
]
# The test's own access: ssh for commands, and the kernel headers and compiler for gpio-sim.
TEST = ["openssh-server", "linux-headers-amd64", "gcc", "make", "xz-utils"]

# gpio-sim (and the irq_sim it needs) are not in Debian's kernel: build them out of tree from the
# kernel's own source package, against the matching headers, inside the image.
GPIO_SIM_BUILD = r"""
set -eu
KVER=$(ls /lib/modules | sort -V | tail -n1)
SRCVER=$(echo "$KVER" | cut -d. -f1-2)
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q --no-install-recommends "linux-source-$SRCVER" "linux-headers-$KVER"
mkdir -p /root/gpiosim && cd /root/gpiosim
S=linux-source-$SRCVER
tar -xf "/usr/src/$S.tar.xz" --strip-components=3 \
    "$S/drivers/gpio/gpio-sim.c" "$S/drivers/gpio/gpiolib.h" "$S/kernel/irq/irq_sim.c"
# Two changes so that irq_sim builds as a module: irq_to_desc() is not exported to modules, so
# run the interrupt through the exported generic_handle_irq() (the same handler, looked up by
# number); and a module needs a licence line.
sed -i 's/handle_simple_irq(irq_to_desc(irqnum));/generic_handle_irq(irqnum);/' irq_sim.c
grep -q 'generic_handle_irq(irqnum)' irq_sim.c
printf '\nMODULE_LICENSE("GPL");\n' >> irq_sim.c
printf 'obj-m := irq_sim.o gpio-sim.o\n' > Kbuild
make -C "/lib/modules/$KVER/build" M=/root/gpiosim modules
install -D -m 0644 irq_sim.ko "/lib/modules/$KVER/updates/irq_sim.ko"
install -D -m 0644 gpio-sim.ko "/lib/modules/$KVER/updates/gpio-sim.ko"
depmod -a "$KVER"
apt-get purge -y -q "linux-source-$SRCVER"
apt-get clean
echo "gpio-sim built for $KVER"
"""

# Test-only: at boot, before any kiosk starts, make a simulated gpiochip0 with 28 lines (BCM 0-27),
# and show gpiozero a Raspberry Pi's /proc/cpuinfo (its lgpio factory accepts only a Pi).
GPIO_SIM_UNIT = """\
[Unit]
Description=Appliance test: a simulated gpiochip (gpio-sim) and a Pi's cpuinfo
DefaultDependencies=no
After=sys-kernel-config.mount local-fs.target
Before=qode-kiosk@door.service multi-user.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/qode-appliance-gpiosim

[Install]
WantedBy=multi-user.target
"""
GPIO_SIM_SCRIPT = """\
#!/bin/sh
# Appliance test only: a gpio-sim chip "qode-sim" (gpiochip0 here, the box has no other), and a
# /proc/cpuinfo with a Raspberry Pi 4's Revision line for gpiozero's pin factory.
set -eu
modprobe gpio-sim
mountpoint -q /sys/kernel/config || mount -t configfs none /sys/kernel/config
chip=/sys/kernel/config/gpio-sim/qode-sim
if [ ! -d $chip ]; then
    mkdir $chip $chip/bank0
    echo 28 > $chip/bank0/num_lines
    echo 1 > $chip/live
fi
if ! grep -q '^Revision' /proc/cpuinfo; then
    cp /proc/cpuinfo /run/qode-cpuinfo
    printf 'Revision\\t: c03114\\nModel\\t\\t: Raspberry Pi 4 Model B (simulated)\\n' >> /run/qode-cpuinfo
    mount --bind /run/qode-cpuinfo /proc/cpuinfo
fi
"""
NETWORK = "[Match]\nName=e*\n\n[Network]\nDHCP=yes\n"


def cache_key() -> str:
    h = hashlib.sha256()
    h.update(Path(__file__).read_bytes())
    h.update(f"{SUITE} {MIRROR} {SECURITY}".encode())
    return h.hexdigest()[:16]


def run(cmd, log, **kw):
    log.write(f"$ {cmd if isinstance(cmd, str) else ' '.join(map(str, cmd))}\n")
    log.flush()
    subprocess.run(cmd, check=True, stdout=log, stderr=subprocess.STDOUT, **kw)


def chroot(root: Path, script: str, log) -> None:
    run(["chroot", str(root), "/bin/sh", "-c", script], log,
        env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8", "HOME": "/root",
             "DEBIAN_FRONTEND": "noninteractive"})


def build(cache: Path, log) -> Path:
    """The image folder (disk.img, vmlinuz, initrd.img, id_ed25519), built unless already cached."""
    out = cache / cache_key()
    if (out / "done").exists():
        return out
    # One build folder, kept when a later stage fails, so that a fix is tried without downloading
    # everything again (each stage that finished leaves a marker; the key covers this file).
    packages = hashlib.sha256(f"{SUITE} {MIRROR} {SECURITY} {BOX} {TEST}".encode()).hexdigest()[:16]
    work = cache / f"build-{packages}"
    root = work / "rootfs"
    mounts: list[Path] = []
    if not (work / "stage-debootstrap").exists():
        shutil.rmtree(work, ignore_errors=True)
        root.mkdir(parents=True)
        run(["debootstrap", "--variant=minbase", SUITE, str(root), MIRROR], log)
        (work / "stage-debootstrap").touch()
    try:
        (root / "etc/apt/sources.list").write_text(
            f"deb {MIRROR} {SUITE} main\ndeb {MIRROR} {SUITE}-updates main\n"
            f"deb {SECURITY} {SUITE}-security main\n")
        # No service may start inside the chroot.
        (root / "usr/sbin/policy-rc.d").write_text("#!/bin/sh\nexit 101\n")
        (root / "usr/sbin/policy-rc.d").chmod(0o755)
        for name, args in (("proc", ["-t", "proc", "proc"]), ("sys", ["-t", "sysfs", "sysfs"]),
                           ("dev", ["--bind", "/dev"]), ("dev/pts", ["--bind", "/dev/pts"])):
            run(["mount", *args, str(root / name)], log)
            mounts.append(root / name)
        if not (work / "stage-packages").exists():
            chroot(root, "apt-get update -q && apt-get install -y -q --no-install-recommends "
                   + " ".join(BOX + TEST), log)
            (work / "stage-packages").touch()
        chroot(root, GPIO_SIM_BUILD, log)
        for mount in reversed(mounts):
            run(["umount", "-l", str(mount)], log)
        mounts.clear()
        (root / "usr/sbin/policy-rc.d").unlink()

        # The box's settings: name, root filesystem, DHCP on the one network card, ssh for root by key.
        (root / "etc/hostname").write_text("qodebox\n")
        (root / "etc/hosts").write_text("127.0.0.1 localhost\n127.0.1.1 qodebox\n")
        (root / "etc/fstab").write_text("/dev/vda / ext4 defaults,errors=remount-ro 0 1\n")
        (root / "etc/systemd/network/80-dhcp.network").write_text(NETWORK)
        key = work / "id_ed25519"
        for old in (key, work / "id_ed25519.pub", work / "disk.img"):
            old.unlink(missing_ok=True)
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "qode-appliance", "-f", str(key)], log)
        ssh = root / "root/.ssh"
        ssh.mkdir(mode=0o700, exist_ok=True)
        (ssh / "authorized_keys").write_text((work / "id_ed25519.pub").read_text())
        (ssh / "authorized_keys").chmod(0o600)
        (root / "etc/systemd/system/qode-appliance-gpiosim.service").write_text(GPIO_SIM_UNIT)
        script = root / "usr/local/sbin/qode-appliance-gpiosim"
        script.write_text(GPIO_SIM_SCRIPT)
        script.chmod(0o755)
        chroot(root, "systemctl enable systemd-networkd.service ssh.service qode-appliance-gpiosim.service"
               " && ssh-keygen -A && echo 'root:qode' | chpasswd", log)
        # Boot files come from the image's own /boot.
        boot = sorted((root / "boot").glob("vmlinuz-*"))[-1]
        shutil.copy(boot, work / "vmlinuz")
        shutil.copy(root / "boot" / boot.name.replace("vmlinuz", "initrd.img"), work / "initrd.img")
        run(["mkfs.ext4", "-q", "-F", "-L", "root", "-d", str(root), str(work / "disk.img"), IMAGE_SIZE], log)
        shutil.rmtree(root)
        (work / "done").write_text(time.strftime("%Y-%m-%d %H:%M:%S\n"))
        shutil.rmtree(out, ignore_errors=True)
        work.rename(out)
        return out
    finally:
        for mount in reversed(mounts):
            subprocess.run(["umount", "-l", str(mount)], check=False)


if __name__ == "__main__":
    import sys

    print(build(Path(sys.argv[1] if len(sys.argv) > 1 else "/var/cache/qode-appliance"), sys.stdout))
