"""Which webhook URLs may be called (OWASP API7:2023, server-side request forgery).

A URL is checked when a subscription is created or changed, and again before every delivery:
DNS can answer differently later (rebinding), so the delivery connects to the very address that
was checked here, never to the name again. Every address a name resolves to must be allowed.

* Always refused: link-local (169.254/16, fe80::/10, which holds the cloud metadata services),
  known metadata addresses, multicast, unspecified and reserved ranges.
* Refused unless `WEBHOOKS_ALLOW_PRIVATE=true` (development and tests only): loopback, private
  (RFC 1918, fc00::/7), shared (100.64/10) and every other non-global range.
"""

import ipaddress
import socket
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

MAX_URL_LENGTH = 2048
URL_SAFE = "!#$%&'()*+,/:;=?@[]~"  # URL syntax kept as it is (letters, digits, -._ always are)
DNS_TIMEOUT = 3.0
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200", "168.63.129.16")
)
# Names that never reach a public host (RFC 2606, RFC 6761): refused without asking DNS.
RESERVED_SUFFIXES = (".invalid", ".test", ".example", ".local", ".internal", ".home.arpa")
RESERVED_DOMAINS = ("example.com", "example.net", "example.org")
LOCALHOST = [ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")]
# getaddrinfo has no timeout of its own; a few threads bound how long a slow resolver holds us.
_resolver = ThreadPoolExecutor(max_workers=4, thread_name_prefix="webhook-dns")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeUrl(ValueError):
    """The URL may not be called; the message says why (shown to the subscriber)."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # as written in the URL (Host header, TLS server name)
    port: int
    path: str  # path and query
    address: str  # the checked IP to connect to


def _effective(address: IPAddress) -> IPAddress:
    """The IPv4 address hidden in an IPv4-mapped or 6to4 IPv6 address, if any."""
    if isinstance(address, ipaddress.IPv6Address):
        return address.ipv4_mapped or address.sixtofour or address
    return address


def check_address(address: IPAddress, *, allow_private: bool) -> None:
    ip = _effective(address)
    if ip in METADATA_ADDRESSES or ip.is_link_local:
        raise UnsafeUrl(f"{address} is a link-local or cloud metadata address")
    # ::1 sits in IPv6's reserved ::/8: loopback is judged as loopback, not as reserved.
    if ip.is_multicast or ip.is_unspecified or (ip.is_reserved and not ip.is_loopback):
        raise UnsafeUrl(f"{address} is not a unicast address")
    site_local = getattr(ip, "is_site_local", False)  # fec0::/10, deprecated yet routable inside
    if (ip.is_loopback or ip.is_private or site_local or not ip.is_global) and not allow_private:
        raise UnsafeUrl(f"{address} is a loopback or private address")


def parse(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path) of an acceptable http(s) URL, or `UnsafeUrl`."""
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeUrl(f"must be at most {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise UnsafeUrl(f"is not a valid URL ({exc})") from None
    if parts.scheme not in ("http", "https"):
        raise UnsafeUrl("must be an http:// or https:// URL")
    if not parts.hostname:
        raise UnsafeUrl("must name a host")
    if parts.username is not None or parts.password is not None:
        raise UnsafeUrl("must not contain credentials; verify the signature instead")
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise UnsafeUrl("must not contain whitespace or control characters")
    if port == 0:
        raise UnsafeUrl("port must be 1-65535")
    try:  # an internationalised name as DNS and the Host header spell it
        host = parts.hostname.encode("idna").decode("ascii")
    except UnicodeError:
        raise UnsafeUrl("must name a valid host") from None
    # Sent as written, but a request line is ASCII: other characters are percent-encoded.
    path = quote((parts.path or "/") + (f"?{parts.query}" if parts.query else ""), safe=URL_SAFE)
    return parts.scheme, host, port or (443 if parts.scheme == "https" else 80), path


def _reserved(host: str) -> bool:
    name = host.lower().rstrip(".")
    return name.endswith(RESERVED_SUFFIXES) or any(
        name == domain or name.endswith("." + domain) for domain in RESERVED_DOMAINS
    )


def _resolve(host: str, port: int) -> list[IPAddress]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


def resolve(url: str, *, allow_private: bool, timeout: float = DNS_TIMEOUT) -> Target:
    """Check the URL and every address its host resolves to; the target pins the first."""
    scheme, host, port, path = parse(url)
    if _reserved(host):
        raise UnsafeUrl(f"host {host!r} is a reserved name that no public server has")
    try:  # an address as written is judged, and named, as it is
        literal = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    else:
        check_address(literal, allow_private=allow_private)
        return Target(scheme, host, port, path, str(literal))
    name = host.lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):  # RFC 6761: always loopback
        addresses: list[IPAddress] = list(LOCALHOST)
    else:
        try:
            addresses = _resolver.submit(_resolve, host, port).result(timeout=timeout)
        except FutureTimeout:
            raise UnsafeUrl(f"host {host!r} did not resolve within {timeout:g} s") from None
        except (OSError, UnicodeError, ValueError):
            raise UnsafeUrl(f"host {host!r} does not resolve") from None
    if not addresses:
        raise UnsafeUrl(f"host {host!r} does not resolve")
    for address in addresses:
        try:
            check_address(address, allow_private=allow_private)
        except UnsafeUrl:  # without the address: nobody maps internal names through this
            raise UnsafeUrl(f"host {host!r} resolves to an address that is not public") from None
    return Target(scheme, host, port, path, str(addresses[0]))
