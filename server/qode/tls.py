"""Staff on TLS: the staff address, the rule on staff tokens over plain http, the box's CA.

Guests use the box's plain-http address (QODE_PUBLIC_URL): their phones show no warning.
Staff devices (setup, host tablet, kiosks, displays) use the https address that Caddy
serves with a certificate from the box's own CA (QODE_STAFF_URL). QODE_STAFF_HTTPS decides
whether a staff token sent over plain http is refused (403 `https_required`, or close code
4426 on a socket), so nobody keeps sending it where the Wi-Fi can overhear it.
"""

from __future__ import annotations

import fcntl
import ipaddress
import os
import socket
import struct
from urllib.parse import urlsplit

from flask import current_app, request

from . import proxy
from .errors import QodeError

HTTPS_PORT = 8443  # Caddy's staff port, as systemd/Caddyfile sets it
SIOCGIFADDR = 0x8915  # Linux: an interface's IPv4 address
PEM_CERT = b"-----BEGIN CERTIFICATE-----"


class HttpsRequired(QodeError):
    """A staff token over plain http (not counted as a failed credential: it may be right)."""

    status = 403
    code = "https_required"

    def __init__(self):
        staff = staff_url()
        if staff.startswith("https://"):
            how = (f"Use the box's https address, {staff} (install its certificate first, from "
                   f"{public_url()}/ca.crt).")
        else:
            how = ("This box has no https address yet: install.sh sets one up (Caddy), or set "
                   "QODE_STAFF_URL.")
        super().__init__("Staff tokens are refused over plain http here: anyone on the Wi-Fi could "
                         "overhear them. " + how)
        self.extra = {"staff_url": staff}


def public_url() -> str:
    return current_app.config.get("PUBLIC_URL") or request.host_url.rstrip("/")


def ca_file() -> str | None:
    return current_app.config.get("TLS_CA_FILE")


def ca_pem() -> bytes | None:
    """The CA certificate(s) at QODE_TLS_CA_FILE, or None when there is none (never a key)."""
    path = ca_file()
    if not path:
        return None
    try:
        with open(path, "rb") as handle:
            data = handle.read(256 * 1024)
    except OSError:
        return None
    if PEM_CERT not in data or b"PRIVATE KEY" in data:
        return None  # not a certificate, or a key by mistake: nothing is served
    return data


def staff_base(configured: str | None, ca_path: str | None, public: str) -> str:
    """The staff address from the settings alone (no request): QODE_STAFF_URL, else https on the
    public host once the CA file exists, else the public address. `qode serve` prints it too."""
    if configured:
        return configured
    if ca_path and os.path.isfile(ca_path):
        host = urlsplit(public).hostname or "127.0.0.1"
        host = f"[{host}]" if ":" in host else host
        return f"https://{host}:{HTTPS_PORT}"
    return public


def staff_url() -> str:
    """The base address staff devices use: QODE_STAFF_URL, else https on the public host once a CA exists."""
    configured = current_app.config.get("STAFF_URL")
    if not configured and request.scheme == "https":
        return request.host_url.rstrip("/")  # already on the staff address
    return staff_base(configured, ca_file(), public_url())


def staff_channel_ok() -> bool:
    """May a staff token be used on this request (or socket upgrade)?"""
    mode = current_app.config.get("STAFF_HTTPS", "off")
    if mode == "off" or request.scheme == "https":
        return True
    if mode == "all":
        return False
    return proxy.is_trusted(request.remote_addr, current_app.config.get("TRUSTED_PROXIES", ()))


def require_staff_channel() -> None:
    if not staff_channel_ok():
        raise HttpsRequired()


def interface_addresses() -> set[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """The addresses on the box's network interfaces now (read each time: DHCP may change them).

    IPv4: each interface's address (SIOCGIFADDR; a second address added to an interface
    without a label of its own is not seen). IPv6: every address in /proc/net/if_inet6.
    """
    found: set[ipaddress.IPv4Address | ipaddress.IPv6Address] = set()
    try:
        names = [name for _, name in socket.if_nameindex()]
    except OSError:
        names = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        for name in names:
            try:
                ifreq = fcntl.ioctl(probe.fileno(), SIOCGIFADDR, struct.pack("40s", name.encode()[:15]))
            except OSError:
                continue  # no IPv4 address on it
            found.add(ipaddress.IPv4Address(ifreq[20:24]))  # ifr_name[16], then sockaddr_in's sin_addr
    try:
        with open("/proc/net/if_inet6") as table:
            for line in table:
                fields = line.split()
                if fields and len(fields[0]) == 32:
                    found.add(ipaddress.IPv6Address(bytes.fromhex(fields[0])))
    except (OSError, ValueError):
        pass
    return found


def own_address(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Is `ip` the box's: loopback, on one of its interfaces, or QODE_PUBLIC_URL's or QODE_STAFF_URL's host?"""
    if ip.is_loopback:
        return True
    for url in (current_app.config.get("STAFF_URL"), current_app.config.get("PUBLIC_URL")):
        if url and proxy.parse_ip(urlsplit(url).hostname) == ip:
            return True
    return ip in interface_addresses()


def may_certify(domain: str) -> bool:
    """Caddy's on-demand question: is `domain` one of this box's own names or addresses?

    Certificates are made when a staff device first connects (the box's address may change
    with DHCP); this keeps a guest from making Caddy mint certificates for any name it likes,
    an IP address included: only the box's own addresses get one.
    """
    name = domain.strip().lower().rstrip(".")
    if not name or len(name) > 253:
        return False
    ip = proxy.parse_ip(name.strip("[]"))
    if ip is not None:
        return own_address(ip)
    hostname = socket.gethostname().lower()
    known = {"localhost", hostname, f"{hostname}.local"}
    for url in (current_app.config.get("STAFF_URL"), current_app.config.get("PUBLIC_URL")):
        if url:
            known.add((urlsplit(url).hostname or "").lower())
    return name in known
