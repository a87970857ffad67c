"""The kiosk's GPIO pins (button, LED) on a real box, checked so a setting that cannot work says why.

gpiozero drives the pins through lgpio (the `kiosk` extra, which install.sh installs with a
kiosk), and lgpio opens /dev/gpiochip*. Every way this can fail on a box (a package missing,
no chip, no permission, the pin taken or not on the chip, not a Pi) ends in one GpioProblem
whose message is one line that names the setting and says what to do: the daemon logs it,
reports it to the server (the host's kiosk card shows it) and exits with EX_CONFIG (78),
which qode-kiosk@.service does not restart (RestartPreventExitStatus=78). Nothing here prints
a traceback or gpiozero's fallback warnings.
"""

from __future__ import annotations

import glob
import os
import warnings

EX_CONFIG = 78  # sysexits.h: a configuration error; the unit does not restart on it
FIX = "then restart the kiosk"


class GpioProblem(Exception):
    """A GPIO setting that cannot work here; str() is the one line to show."""


def _needs_packages(setting: str, missing: str) -> GpioProblem:
    return GpioProblem(
        f"{setting}: the Python package {missing} is not installed (the kiosk extra: gpiozero and lgpio). "
        f"Install it: sudo ./install.sh --kiosk NAME, {FIX}")


def pin_factory(setting: str, chips_glob: str = "/dev/gpiochip*"):
    """gpiozero's pin factory for this box, or None when GPIOZERO_PIN_FACTORY chooses one.

    `setting` (e.g. "QODE_KIOSK_BUTTON=gpio:17") starts every message.
    """
    try:
        import gpiozero  # noqa: F401
    except ImportError:
        raise _needs_packages(setting, "gpiozero") from None
    if os.environ.get("GPIOZERO_PIN_FACTORY"):
        return None  # chosen on purpose (mock pins, pigpio): gpiozero makes it, errors are caught per pin
    try:
        import lgpio
    except ImportError:
        raise _needs_packages(setting, "lgpio") from None
    chips = sorted(glob.glob(chips_glob))
    if not chips:
        raise GpioProblem(f"{setting}: this box has no GPIO chip ({chips_glob} does not exist): "
                          "use a Raspberry Pi, or set it to none")
    closed = [chip for chip in chips if not os.access(chip, os.R_OK | os.W_OK)]
    from gpiozero.pins.lgpio import LGPIOFactory

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return LGPIOFactory()
        except lgpio.error as err:
            if closed:
                raise GpioProblem(
                    f"{setting}: no permission to open {closed[0]} ({err}): the kiosk's user must be in "
                    f"group gpio and the chip must belong to it (install.sh sets up both), {FIX}") from None
            raise GpioProblem(f"{setting}: cannot open the GPIO chip ({err})") from None
        except Exception as err:  # gpiozero's own checks, e.g. "unable to locate Pi revision"
            raise GpioProblem(f"{setting}: gpiozero cannot use this board's pins ({_one_line(err)}); "
                              "it needs a Raspberry Pi") from None


def open_device(setting: str, pin: int, make, factory):
    """`make(pin, pin_factory=factory)` (a gpiozero Button or LED), with its failures as GpioProblem."""
    try:
        import lgpio

        lgpio_error: type[BaseException] = lgpio.error
    except ImportError:
        lgpio_error = OSError
    from gpiozero.exc import GPIOPinInUse, GPIOZeroError

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return make(pin, pin_factory=factory)
        except GPIOPinInUse:
            raise GpioProblem(f"{setting}: GPIO {pin} is already used by this kiosk (the button and the LED "
                              "need different pins)") from None
        except lgpio_error as err:
            said = _one_line(err)
            if "busy" in said.lower() or "in use" in said.lower():
                raise GpioProblem(f"{setting}: GPIO {pin} is in use by another program ({said}); "
                                  f"free it or pick another pin, {FIX}") from None
            if "bad gpio" in said.lower() or "invalid" in said.lower():
                raise GpioProblem(f"{setting}: GPIO {pin} does not exist on this GPIO chip ({said}); "
                                  f"pick another pin, {FIX}") from None
            raise GpioProblem(f"{setting}: GPIO {pin} cannot be used ({said})") from None
        except (GPIOZeroError, OSError, ValueError) as err:
            raise GpioProblem(f"{setting}: GPIO {pin} cannot be used ({_one_line(err)})") from None


def _one_line(err: BaseException) -> str:
    text = " ".join(str(err).split()).strip("'\"") or type(err).__name__  # lgpio quotes its text
    return text[:120]
