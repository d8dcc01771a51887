"""The webhook server under many short connections (issue 24, fault 1).

Serves the bot's web app (no messenger) with its real defences on 127.0.0.1 and
makes, one after another and in bursts: connections closed at once, requests with
Connection: close, kept-alive requests closed by the client, kept-alive requests
left for the server to close after its idle timeout, and half-open connections.
Prints how many were made, how many were answered, refused or displaced, the
median time of a request, and the open-connection count at the end (0 when the
accounting is right). Before the fix, the server refused everything after about
512 connections.

    python benchmarks/connections.py [--rounds 20] [--idle-timeout 1.0]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot import webserver  # noqa: E402
from bot.runner import make_web_app  # noqa: E402

REQUEST = b"GET /healthz HTTP/1.1\r\nHost: x\r\n"


async def request(port: int, keep_alive: bool, timings: list[float]) -> asyncio.StreamWriter | None:
    t0 = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(REQUEST + (b"" if keep_alive else b"Connection: close\r\n") + b"\r\n")
    await writer.drain()
    status = await reader.readline()
    if status.split()[1:2] != [b"200"]:
        raise ConnectionError(f"not answered: {status!r}")
    while (await reader.readline()) not in (b"\r\n", b""):
        pass
    timings.append(time.perf_counter() - t0)
    if keep_alive:
        return writer
    writer.close()
    return None


async def closed_at_once(port: int) -> None:
    _reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.close()


async def half_open(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(REQUEST + b"\r\n")
    writer.write_eof()
    await reader.read()
    writer.close()


async def main(rounds: int, idle_timeout: float) -> None:
    runner, site = await webserver.start(make_web_app({}), "127.0.0.1", 0, header_timeout=idle_timeout)
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    made = answered = failed = 0
    timings: list[float] = []
    t0 = time.perf_counter()
    for _ in range(rounds):
        for _ in range(100):
            for kind in (closed_at_once, half_open):
                made += 1
                try:
                    await asyncio.wait_for(kind(port), 10)
                except (OSError, TimeoutError):
                    failed += 1
            try:
                await request(port, False, timings)
                answered += 1
            except (ConnectionError, OSError, IndexError):
                failed += 1
            made += 1
        kept = []
        for _ in range(50):
            made += 1
            try:
                kept.append(await request(port, True, timings))
                answered += 1
            except (ConnectionError, OSError, IndexError):
                failed += 1
        for writer in kept[:25]:
            if writer is not None:
                writer.close()
        burst = await asyncio.gather(*(closed_at_once(port) for _ in range(200)), return_exceptions=True)
        made += len(burst)
    deadline = time.monotonic() + idle_timeout * 3 + 5
    while site.open_connections and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    elapsed = time.perf_counter() - t0
    print(f"connections made: {made} in {elapsed:.1f} s (cap {site.limit}); requests answered {answered}; "
          f"connections or requests that failed {failed}; refused at the cap {site.refused}, idle displaced "
          f"{site.displaced}")
    print(f"median request {statistics.median(timings) * 1000:.2f} ms; open connections at the end: "
          f"{site.open_connections}")
    await runner.cleanup()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--idle-timeout", type=float, default=1.0)
    args = parser.parse_args()
    asyncio.run(main(args.rounds, args.idle_timeout))
