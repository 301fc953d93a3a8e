"""A TCP proxy that adds a fixed one-way delay, like a network round trip to a real DynamoDB endpoint.

Run: `python -m harness.proxy --listen PORT --target PORT --delay-ms 7`. Bytes from the client
are held `delay` before they go upstream, in order, so a request split over several packets costs
one delay, not one per packet; responses flow back at once. Every call through it therefore takes
at least `delay` longer, which is what the seed's blocking boto3 calls pay on every request.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
from collections.abc import Iterator

from harness.processes import child, free_port, port_open, python


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float) -> None:
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def deliver() -> None:
        while True:
            due, data = await queue.get()
            if not data:
                break
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(data)
            await writer.drain()

    sender = asyncio.create_task(deliver())
    try:
        while data := await reader.read(65536):
            queue.put_nowait((time.monotonic() + delay, data))
    finally:
        queue.put_nowait((0.0, b""))
        with contextlib.suppress(ConnectionError):
            await sender
        writer.close()


async def _serve(listen: int, target: int, delay: float) -> None:
    async def handle(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", target)
        except OSError:
            client_writer.close()
            return
        with contextlib.suppress(ConnectionError):
            await asyncio.gather(
                _pump(client_reader, upstream_writer, delay),
                _pump(upstream_reader, client_writer, 0.0),
            )

    server = await asyncio.start_server(handle, "127.0.0.1", listen, backlog=1024)
    async with server:
        await server.serve_forever()


@contextlib.contextmanager
def latency_proxy(target_port: int, delay_ms: float) -> Iterator[str]:
    """Run the proxy in its own process in front of 127.0.0.1:`target_port`; yield its URL."""
    port = free_port()
    argv = [python(), "-m", "harness.proxy", "--listen", str(port), "--target", str(target_port)]
    argv += ["--delay-ms", str(delay_ms)]
    with child(argv, ready=lambda: port_open(port), what="latency proxy", timeout=15):
        yield f"http://127.0.0.1:{port}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--listen", type=int, required=True)
    parser.add_argument("--target", type=int, required=True)
    parser.add_argument("--delay-ms", type=float, default=7.0)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.listen, args.target, args.delay_ms / 1000))


if __name__ == "__main__":
    main()
