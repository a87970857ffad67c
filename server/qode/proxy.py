"""Who is really asking: the client's address and scheme behind the box's own proxy.

Staff reach the box over https through Caddy, which runs on the box and connects to
gunicorn from 127.0.0.1, saying who the client was in X-Forwarded-For and that it came
over https in X-Forwarded-Proto. Those headers are believed only from a trusted peer
(`QODE_TRUSTED_PROXIES`, the box itself by default); from anyone else they are ignored,
so a guest cannot pick the address its rate limits count against, or pass for https.
Done once, at the WSGI level: `request.remote_addr` and `request.scheme` are then honest
for every limit and check, sockets included.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

# Headers by which a proxy (or gunicorn, reading them) could claim https.
_PROTO_HEADERS = ("HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_PROTOCOL", "HTTP_X_FORWARDED_SSL")


def parse_ip(text: str | None):
    """`text` as an IP address (IPv4-mapped IPv6 as IPv4), or None."""
    try:
        ip = ipaddress.ip_address((text or "").strip().split("%", 1)[0])
    except ValueError:
        return None
    if ip.version == 6 and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def is_trusted(address: str | None, networks: Iterable) -> bool:
    ip = parse_ip(address)
    return ip is not None and any(ip.version == net.version and ip in net for net in networks)


def trust_local_proxy(wsgi_app, networks: tuple):
    """Wrap `wsgi_app`: take the client address and scheme from a trusted peer's X-Forwarded-*."""

    def app(environ, start_response):
        peer = environ.get("REMOTE_ADDR", "")
        environ["qode.peer"] = peer  # the TCP peer itself, whatever the headers said
        if is_trusted(peer, networks):
            forwarded = environ.get("HTTP_X_FORWARDED_FOR")
            if forwarded:
                # The proxy appends the address it saw: the last entry is the one it vouches for.
                client = parse_ip(forwarded.rsplit(",", 1)[-1])
                if client is not None:
                    environ["REMOTE_ADDR"] = str(client)
            proto = environ.get("HTTP_X_FORWARDED_PROTO", "").strip().lower()
            if proto in ("http", "https"):
                environ["wsgi.url_scheme"] = proto
        elif any(name in environ for name in _PROTO_HEADERS):
            # gunicorn serves no TLS itself here: from an untrusted peer it is plain http, whatever
            # a header claims (gunicorn believes such headers from its own allow-list).
            environ["wsgi.url_scheme"] = "http"
        return wsgi_app(environ, start_response)

    return app
