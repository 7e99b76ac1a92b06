"""A deterministic, realistic day of logs from six services, written as files (one per service).

- checkout: JSON with nested request/user objects, ISO timestamps in UTC, and an incident 13:00-15:00
  that raises 5xx and latency on /api/checkout;
- payments: JSON with `ts` in epoch milliseconds, an upper-case `severity`, a dotted key;
- auth: pino-style JSON with numeric levels (30=info, 50=error);
- inventory: Java text logs with multi-line stack traces;
- worker: Python text logs in local time (+01:00), tracebacks, and a few Latin-1 bytes (invalid UTF-8);
- edge: nginx access logs (CLF timestamps).
About 0.4% of the JSON lines are cut mid-object (a crashed writer) and must end in quarantine.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import orjson

DAY = datetime(2026, 11, 26, tzinfo=UTC)
_PARIS = timezone(timedelta(hours=1))

SERVICE_SHARES = {"checkout": 0.34, "payments": 0.2, "auth": 0.14, "inventory": 0.12, "worker": 0.1, "edge": 0.1}
ROUTES = [
    ("GET", "/api/products", 35.0),
    ("GET", "/api/products/{id}", 22.0),
    ("GET", "/api/cart", 18.0),
    ("POST", "/api/cart", 40.0),
    ("POST", "/api/checkout", 180.0),
    ("GET", "/api/orders/{id}", 55.0),
]
TIERS = ["free", "free", "free", "pro", "pro", "enterprise"]
COUNTRIES = [("FR", "Paris"), ("DE", "Berlin"), ("US", "Chicago"), ("JP", "Tokyo"), ("BR", "São Paulo")]
JAVA_ERRORS = [
    ("java.lang.IllegalStateException", "reservation already released"),
    ("java.util.concurrent.TimeoutException", "stock service did not answer in 2000 ms"),
    ("java.sql.SQLTransientConnectionException", "HikariPool-1 - Connection is not available"),
]
PY_ERRORS = [
    ("ConnectionResetError", "[Errno 104] Connection reset by peer"),
    ("KeyError", "'template_id'"),
    ("smtplib.SMTPServerDisconnected", "Connection unexpectedly closed"),
]


@dataclass(frozen=True)
class ServiceFile:
    service: str
    path: Path
    events: int
    malformed: int


def _incident(t: datetime) -> bool:
    return 13 <= t.hour < 15


def _times(rng: random.Random, n: int) -> Iterator[datetime]:
    """n sorted instants over the day, busier in the afternoon (a daily traffic curve)."""
    points: list[float] = []
    while len(points) < n:
        x = rng.random()
        if rng.random() < 0.55 + 0.45 * math.sin(math.pi * x) ** 2:
            points.append(x)
    for x in sorted(points):
        yield DAY + timedelta(seconds=x * 86_400)


def _iso_ms(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def _checkout(rng: random.Random, t: datetime, i: int) -> bytes:
    method, route, base = rng.choice(ROUTES)
    slow = _incident(t) and route == "/api/checkout"
    latency = round(rng.lognormvariate(math.log(base * (4 if slow else 1)), 0.5), 1)
    status = 200
    roll = rng.random()
    if roll < (0.18 if slow else 0.008):
        status = rng.choice([500, 502, 503, 504])
    elif roll < 0.04:
        status = rng.choice([400, 401, 404, 409])
    country, city = rng.choice(COUNTRIES)
    level = "error" if status >= 500 else "warn" if status >= 400 else "info"
    doc: dict[str, object] = {
        "timestamp": _iso_ms(t),
        "level": level,
        "service": "checkout",
        "msg": "request failed" if status >= 500 else "request completed",
        "trace_id": f"{rng.getrandbits(64):016x}",
        "request": {
            "method": method,
            "route": route,
            "status": status,
            "latency_ms": latency,
            "bytes": rng.randint(200, 40_000),
            "client": {"ip": f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"},
        },
        "user": {
            "id": f"u-{rng.randint(1, 5000):05d}",
            "tier": rng.choice(TIERS),
            "geo": {"country": country, "city": city},
        },
    }
    if status >= 500:
        doc["error"] = {"kind": "UpstreamTimeout" if status == 504 else "UpstreamError", "retryable": status != 500}
    return orjson.dumps(doc)


def _payments(rng: random.Random, t: datetime, i: int) -> bytes:
    failed = rng.random() < (0.09 if _incident(t) else 0.01)
    doc = {
        "ts": int(t.timestamp() * 1000),
        "severity": "ERROR" if failed else "INFO",
        "message": "charge declined by provider" if failed else "charge captured",
        "provider.name": rng.choice(["stripe", "adyen"]),
        "payment": {
            "id": f"pay_{i:08d}",
            "amount": round(rng.lognormvariate(3.5, 0.8), 2),
            "currency": rng.choice(["EUR", "EUR", "USD", "JPY"]),
            "method": {"type": "card", "brand": rng.choice(["visa", "mastercard", "amex"])},
        },
        "request": {
            "method": "POST",
            "route": "/v1/charges",
            "status": 402 if failed else 201,
            "latency_ms": round(rng.lognormvariate(math.log(120), 0.4), 1),
        },
        "user": {"id": f"u-{rng.randint(1, 5000):05d}", "tier": rng.choice(TIERS)},
    }
    return orjson.dumps(doc)


def _auth(rng: random.Random, t: datetime, i: int) -> bytes:
    failed = rng.random() < 0.03
    doc = {
        "level": 50 if failed else 30,
        "time": int(t.timestamp() * 1000),
        "pid": 4242,
        "hostname": f"auth-{rng.randint(1, 3)}",
        "msg": "login failed: bad password" if failed else "login ok",
        "req": {"method": "POST", "url": "/login", "remoteAddress": f"192.0.2.{rng.randint(1, 254)}"},
        "res": {"statusCode": 401 if failed else 200},
        "responseTime": rng.randint(3, 90),
        "mfa": rng.random() < 0.4,
    }
    return orjson.dumps(doc)


def _inventory(rng: random.Random, t: datetime, i: int) -> bytes:
    stamp = t.strftime("%Y-%m-%d %H:%M:%S,") + f"{t.microsecond // 1000:03d}"
    thread = f"pool-2-thread-{rng.randint(1, 8)}"
    sku = f"SKU-{rng.randint(1000, 9999)}"
    if rng.random() < (0.06 if _incident(t) else 0.015):
        exc, text = rng.choice(JAVA_ERRORS)
        frames = "".join(
            f"\n\tat com.shop.inventory.{cls}.{m}({cls}.java:{rng.randint(20, 400)})"
            for cls, m in [("ReservationService", "reserve"), ("StockClient", "call"), ("Handler", "handle")][
                : rng.randint(2, 3)
            ]
        )
        cause = (
            "\nCaused by: java.net.SocketTimeoutException: Read timed out"
            "\n\tat java.base/java.net.SocketInputStream.read(SocketInputStream.java:183)\n\t... 12 more"
        )
        return (
            f"{stamp} ERROR [{thread}] c.s.inventory.ReservationService - Reservation failed for {sku}\n"
            f"{exc}: {text}{frames}{cause if rng.random() < 0.5 else ''}"
        ).encode()
    level = "WARN" if rng.random() < 0.05 else "INFO"
    text = "Low stock" if level == "WARN" else "Reserved"
    return (
        f"{stamp} {level} [{thread}] c.s.inventory.ReservationService - {text} {sku} qty={rng.randint(1, 5)}".encode()
    )


def _worker(rng: random.Random, t: datetime, i: int) -> bytes:
    local = t.astimezone(_PARIS)
    stamp = local.strftime("%Y-%m-%dT%H:%M:%S.") + f"{local.microsecond // 1000:03d}+0100"
    user = rng.randint(1, 5000)
    if rng.random() < 0.02:
        exc, text = rng.choice(PY_ERRORS)
        return (
            f"{stamp} worker[812] ERROR jobs.email: sending receipt to user {user} failed\n"
            "Traceback (most recent call last):\n"
            '  File "/srv/worker/jobs/email.py", line 88, in send_receipt\n'
            "    smtp.send_message(msg)\n"
            '  File "/usr/lib/python3.12/smtplib.py", line 986, in send_message\n'
            "    return self.sendmail(from_addr, to_addrs, flatmsg)\n"
            f"{exc}: {text}"
        ).encode()
    if rng.random() < 0.002:
        # A Latin-1 encoded name: bytes that are not valid UTF-8, kept exactly in the raw zone.
        return f"{stamp} worker[812] INFO jobs.email: receipt sent to ".encode() + "José Müller".encode("latin-1")
    level = "WARNING" if rng.random() < 0.04 else "INFO"
    text = f"retrying send to user {user} (attempt 2)" if level == "WARNING" else f"receipt sent to user {user}"
    return f"{stamp} worker[812] {level} jobs.email: {text}".encode()


def _edge(rng: random.Random, t: datetime, i: int) -> bytes:
    method, route, _base = rng.choice(ROUTES)
    path = route.replace("{id}", str(rng.randint(1, 900)))
    status = rng.choice([200] * 40 + [304, 404, 499] + ([502, 504] * 4 if _incident(t) else [502]))
    stamp = t.strftime("%d/%b/%Y:%H:%M:%S +0000")
    return (
        f'203.0.113.{rng.randint(1, 254)} - - [{stamp}] "{method} {path} HTTP/1.1" {status} {rng.randint(100, 9000)} '
        f'"-" "Mozilla/5.0 (X11; Linux x86_64)"'
    ).encode()


GENERATORS: dict[str, Callable[[random.Random, datetime, int], bytes]] = {
    "checkout": _checkout,
    "payments": _payments,
    "auth": _auth,
    "inventory": _inventory,
    "worker": _worker,
    "edge": _edge,
}
JSON_SERVICES = {"checkout", "payments", "auth"}


def write_workload(
    folder: Path, total_events: int, seed: int = 7, *, services: Collection[str] | None = None
) -> list[ServiceFile]:
    """Write one log file per service; the event counts add up to total_events exactly.

    `services`: write only these files (each service has its own random stream, so a file is the same
    whichever others are written: a benchmark writes them in parallel processes)."""
    folder.mkdir(parents=True, exist_ok=True)
    shares = list(SERVICE_SHARES.items())
    counts = [int(total_events * share) for _name, share in shares]
    counts[0] += total_events - sum(counts)
    files = []
    for (service, _share), count in zip(shares, counts, strict=True):
        if services is not None and service not in services:
            continue
        rng = random.Random(f"{seed}-{service}")
        make = GENERATORS[service]
        malformed = 0
        path = folder / f"{service}.log"
        # Each line is written as it is made: orjson's bytes keep a 4 KB buffer each, so a list of them held
        # 4.7 KB per event (16 GB for the 3.4M checkout events of a 10M workload).
        with path.open("wb", buffering=1 << 20) as out:
            for i, t in enumerate(_times(rng, count)):
                line = make(rng, t, i)
                if service in JSON_SERVICES and rng.random() < 0.004:
                    line = line[: rng.randint(5, len(line) - 2)]
                    malformed += 1
                out.write(line + b"\n")
            if not count:
                out.write(b"\n")  # as the files were always written: an empty service's file is one empty line
        files.append(ServiceFile(service, path, count, malformed))
    return files
