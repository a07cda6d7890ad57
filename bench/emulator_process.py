"""An emulated shop in a process of its own, for benchmarks.

In the benchmark's own process the emulator would share the interpreter (and its lock) with
the code being measured; in a child process it is a shop on the network like a real one.
`stats()` asks the child for the shop's counters (requests per call, busy time, peak
concurrency) over a pipe, and `reset()` zeroes them between runs.
"""

from __future__ import annotations

import multiprocessing as mp
from multiprocessing.connection import Connection
from typing import Any

from prestasync.prestashop.emulator import EmulatedShop, RunningEmulator, ShopConfig


def _serve(configs: dict[str, dict[str, Any]], pipe: Connection) -> None:
    shops = {name: EmulatedShop(ShopConfig(**config)) for name, config in configs.items()}
    with RunningEmulator(shops) as running:
        pipe.send(running.url)
        while True:
            command, name = pipe.recv()
            if command == "stop":
                return
            shop = shops[name]
            if command == "reset":
                shop.reset_counters()
                pipe.send(None)
            elif command == "stats":
                counts = {f"{method} {resource}": n for (method, resource), n in shop.counts.items()}
                pipe.send({"counts": counts, "busy_s": shop.busy_s, "peak": shop.peak_in_flight})


class EmulatorProcess:
    """`with EmulatorProcess({"a": {"write_latency_ms": 50}}) as emu: emu.url + "/a"`."""

    def __init__(self, configs: dict[str, dict[str, Any]]) -> None:
        self._pipe, child = mp.Pipe()
        self._process = mp.get_context("spawn").Process(target=_serve, args=(configs, child), daemon=True)
        self.url = ""

    def __enter__(self) -> EmulatorProcess:
        self._process.start()
        self.url = self._pipe.recv()
        return self

    def __exit__(self, *exc: object) -> None:
        self._pipe.send(("stop", ""))
        self._process.join(timeout=10)

    def reset(self, name: str) -> None:
        self._pipe.send(("reset", name))
        self._pipe.recv()

    def stats(self, name: str) -> dict[str, Any]:
        self._pipe.send(("stats", name))
        stats: dict[str, Any] = self._pipe.recv()
        return stats


def requests(stats: dict[str, Any]) -> tuple[int, int]:
    """(reads, writes) in a stats answer."""
    reads = sum(n for call, n in stats["counts"].items() if call.split()[0] in ("GET", "HEAD"))
    return reads, sum(stats["counts"].values()) - reads


__all__ = ["EmulatorProcess", "requests"]
