"""The sandbox (`campaignctl sandbox serve`, every installed plug-in's emulator) served
over real HTTP on 127.0.0.1 by a child process, for end-to-end tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SandboxServer:
    running: dict[str, SandboxServer] = {}  # url -> server (tests' sandbox_accounts())

    def __init__(self, data_dir: Path, env: dict[str, str] | None = None):
        """`env`: set for the server process besides this one's (PYTHONPATH...)."""
        self.data_dir = data_dir
        self.env = {**os.environ, **(env or {})}
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> SandboxServer:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "reconciler", "sandbox", "serve", "--port", str(self.port),
             "--data-dir", str(self.data_dir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
            env=self.env)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{self.url}/_sandbox/clock", timeout=1)
                SandboxServer.running[self.url] = self
                return self
            except httpx.TransportError:
                if self.proc.poll() is not None:
                    raise RuntimeError(self.proc.stderr.read().decode()) from None
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("sandbox did not start")

    def stop(self) -> None:
        SandboxServer.running.pop(self.url, None)
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def get(self, path: str) -> httpx.Response:
        return httpx.get(self.url + path, timeout=30)

    def post(self, path: str, json: object) -> httpx.Response:
        return httpx.post(self.url + path, json=json, timeout=30)

    def delete(self, path: str) -> httpx.Response:
        return httpx.delete(self.url + path, timeout=30)

    def add_account(self, vendor: str, **credentials: str) -> None:
        """Create a vendor account in the sandbox (it refuses credentials it does not hold)."""
        r = self.post("/_sandbox/accounts", {"vendor": vendor, "credentials": credentials})
        assert r.status_code == 201, r.text
