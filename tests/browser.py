"""Headless Chromium for the HTML report's tests: open a file, take a screenshot, dump the
DOM, and read Chromium's own network log (--log-net-log) for the requests the page made.
Debian's `chromium` package (.ci/run installs it); the tests skip without it locally and
fail without it under CI=true. A small PNG reader (zlib + struct) checks screenshots."""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import zlib
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path

import pytest

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--disable-extensions", "--no-pings",
         "--disable-domain-reliability",
         "--disable-features=NetworkTimeServiceQuerying,OptimizationHints,MediaRouter")


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("the HTML report's browser tests cannot run: no chromium (.ci/run "
                    "installs Debian's chromium package)")
    pytest.skip("the HTML report's browser tests need headless Chromium "
                "(apt-get install chromium); none on this machine")


@dataclass
class Opened:
    dom: str
    page_requests: list[str]  # URLs the page asked for (not the browser's own traffic)


def _page_requests(netlog: Path) -> list[str]:
    """Every URL request a page made: its initiator is a page origin (a file page's is
    "null"). The browser's own background traffic (account and search services Chromium
    contacts at start) has no page initiator and is left out."""
    log = json.loads(netlog.read_text())
    start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    begun = [e.get("params") or {} for e in log["events"] if e["type"] == start]
    return [p["url"] for p in begun if "url" in p and p.get("initiator") != "not an origin"]


def open_page(page: Path, tmp: Path, *, screenshot: Path | None = None,
              size: tuple[int, int] = (1280, 2000)) -> Opened:
    """Open `page` (a file) once for its DOM and network log, and once more for a
    screenshot when asked."""
    exe = chromium()
    netlog = tmp / "net.json"
    base = [exe, *FLAGS, f"--user-data-dir={tmp / 'profile'}", f"--window-size={size[0]},{size[1]}"]
    dom = subprocess.run([*base, f"--log-net-log={netlog}", "--dump-dom", page.as_uri()],
                         capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert dom.returncode == 0, dom.stderr[-2000:]
    if screenshot is not None:
        shot = subprocess.run([*base, f"--user-data-dir={tmp / 'profile2'}",
                               f"--screenshot={screenshot}", page.as_uri()],
                              capture_output=True, text=True, timeout=120,
                              stdin=subprocess.DEVNULL)
        assert shot.returncode == 0 and screenshot.exists(), shot.stderr[-2000:]
    return Opened(dom.stdout, _page_requests(netlog))


@dataclass
class Image:
    width: int
    height: int
    rows: list[bytes]  # RGB(A) scanlines, unfiltered
    channels: int

    def colours(self, step: int = 7) -> set[tuple[int, ...]]:
        """The distinct colours of a sample of the pixels (every `step`th on every
        `step`th row)."""
        c = self.channels
        return {tuple(row[x * c:x * c + 3]) for row in self.rows[::step]
                for x in range(0, self.width, step)}

    def share_not(self, colour: tuple[int, int, int], step: int = 5) -> float:
        c = self.channels
        seen = other = 0
        for row in self.rows[::step]:
            for x in range(0, self.width, step):
                seen += 1
                other += tuple(row[x * c:x * c + 3]) != colour
        return other / seen


def _add(a: int, b: int) -> int:
    return (a + b) & 0xFF


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)


def read_png(path: Path) -> Image:
    """An 8-bit RGB or RGBA, non-interlaced PNG (what Chromium writes)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, bytearray(), None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    assert header is not None, "no IHDR"
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, header
    channels = 3 if colour == 2 else 4
    raw = zlib.decompress(bytes(idat))
    stride = width * channels
    rows: list[bytes] = []
    prev = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        if kind == 1:  # Sub: a running sum per channel
            for k in range(channels):
                line[k::channels] = bytes(accumulate(line[k::channels], _add))
        elif kind == 2:  # Up
            line = bytearray(map(_add, line, prev))
        elif kind in (3, 4):  # Average, Paeth: byte by byte
            for i in range(stride):
                a = line[i - channels] if i >= channels else 0
                b, c = prev[i], prev[i - channels] if i >= channels else 0
                line[i] = (line[i] + ((a + b) // 2 if kind == 3 else _paeth(a, b, c))) & 0xFF
        rows.append(bytes(line))
        prev = line
    return Image(width, height, rows, channels)
