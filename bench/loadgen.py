"""A small HTTP/1.1 load generator for loopback: keep-alive connections, each sending its requests one
after another (a closed loop, like cashiers waiting for each answer); latency of every request.

Plain asyncio streams, no HTTP library: the generator must cost the two cores as little as possible.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass
class Load:
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)


async def _connection(host: str, port: int, requests: Iterator[bytes], load: Load) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        for request in requests:
            started = time.perf_counter()
            writer.write(request)
            status = int((await reader.readline()).split()[1])
            length, close = 0, False
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                name = name.strip().lower()
                if name == "content-length":
                    length = int(value)
                elif name == "connection" and value.strip().lower() == "close":
                    close = True
            await reader.readexactly(length)
            load.latencies.append(time.perf_counter() - started)
            load.statuses[status] = load.statuses.get(status, 0) + 1
            if close:
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
    finally:
        writer.close()


def run(host: str, port: int, requests: Iterator[bytes], *, connections: int) -> Load:
    """Send every request of the (shared) iterator over `connections` keep-alive connections."""
    load = Load()

    async def main() -> None:
        started = time.perf_counter()
        await asyncio.gather(*(_connection(host, port, requests, load) for _ in range(connections)))
        load.seconds = time.perf_counter() - started

    asyncio.run(main())
    return load


def post(path: str, body: bytes, headers: dict[str, str], host: str = "127.0.0.1") -> bytes:
    head = [f"POST {path} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body
