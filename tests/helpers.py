"""Small builders shared by the tests: real image files and a local S3 endpoint."""

from __future__ import annotations

import base64
import logging
import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager


def png_bytes(width: int, height: int, shade: int = 0x80) -> bytes:
    """A complete, decodable 8-bit greyscale PNG of one shade."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        return struct.pack(">I", len(data)) + kind + data + crc

    raw = b"".join(b"\x00" + bytes([shade]) * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def png_data_url(width: int, height: int, shade: int = 0x80) -> str:
    return "data:image/png;base64," + base64.b64encode(png_bytes(width, height, shade)).decode()


@contextmanager
def moto_s3_server() -> Iterator[str]:
    """A real S3 endpoint (moto) on 127.0.0.1 for the duration of the block; yields its URL."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's access log would drown the output
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()
