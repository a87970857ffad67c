"""The real `qode kiosk` on gpiozero's mock pins, pressed through its standard input (tests only).

    python tests/kiosk_mock_pins.py --server URL --printer network:127.0.0.1:9100 ...

Everything after the script's name is `qode kiosk`'s flags; the settings come from the
environment as for qode-kiosk@.service. GPIOZERO_PIN_FACTORY=mock is the one difference: a
venue's kiosk would get lgpio's pins. Each line on standard input is a BCM pin number: that pin
is driven low (a button pressed to ground) and high again, as a guest's press. End of input stops
the kiosk as systemd does (SIGTERM). Nothing here stands in for the daemon: its settings, its
GPIO set-up (daemon.open_pins), its buttons' callbacks and its printing are the real ones.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

os.environ["GPIOZERO_PIN_FACTORY"] = "mock"


def drive() -> None:
    from gpiozero import Device

    for line in sys.stdin:
        if not line.strip():
            continue
        pin = Device.pin_factory.pin(int(line))  # the pin the daemon's Button holds
        pin.drive_low()
        time.sleep(0.1)
        pin.drive_high()
        print(f"[mock pins] pressed gpio:{int(line)}", flush=True)
    os.kill(os.getpid(), signal.SIGTERM)


if __name__ == "__main__":
    threading.Thread(target=drive, name="mock-pins", daemon=True).start()
    from qode.cli import main

    sys.exit(main(["kiosk", *sys.argv[1:]]))
