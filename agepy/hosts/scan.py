"""Fetch SSH host keys over the network, as ``ssh-keyscan`` does, in pure Python.

One connection per key type and host, each with a full key exchange: the server signs
the exchange hash with the key it presents, so a key reported here is one the host
holds (a server replaying someone else's public key fails the exchange). Many hosts
are scanned at once under a concurrency limit; each host's failure is a
:class:`~agepy.errors.KeyscanError` in its result and the scan goes on.

asyncssh is imported only inside the scan (it costs ~0.4 s to import); ``~/.ssh/config``
and ``~/.ssh/known_hosts`` are never read, no client key or agent is touched.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Sequence
from typing import Any

from agepy.errors import HostError, KeyscanError, Reason
from agepy.hosts._probe import Connector, classify, listen
from agepy.hosts.targets import (
    KEY_TYPES,
    ScannedKey,
    ScanResult,
    display_name,
    format_target,
    parse_target,
    scanned_key,
)

__all__ = [
    "KEY_TYPES",
    "ScanResult",
    "ScannedKey",
    "format_target",
    "keyscan",
    "keyscan_async",
    "parse_target",
    "scanned_key",
]

# --- scanning --------------------------------------------------------------------------


async def _scan_one(
    host: str, port: int, kind: str, timeout: float, semaphore: asyncio.Semaphore
) -> tuple[ScannedKey | None, BaseException | None, str | None]:
    import asyncssh  # ~0.4 s to import: paid by a scan, not by every command that loads hosts

    name = display_name(host, port)
    async with semaphore:
        connector = Connector()
        try:
            key = await asyncio.wait_for(
                asyncssh.get_server_host_key(
                    host,
                    port,
                    tunnel=connector,  # type: ignore[arg-type]
                    server_host_key_algs=KEY_TYPES[kind],
                    config=None,  # never read ~/.ssh/config
                ),
                timeout,
            )
        except (asyncssh.Error, OSError, EOFError, TimeoutError, ValueError) as exc:
            received = connector.recorder.received if connector.recorder else b""
            heard = listen(received)
            return None, classify(name, port, kind, exc, heard, timeout), heard.banner
        finally:
            connector.close()
    banner = None
    if connector.recorder is not None:
        banner = listen(connector.recorder.received).banner
    if key is None:
        return (
            None,
            KeyscanError(
                name,
                Reason.KEYSCAN_FAILED,
                "no host key received",
                hint="try `ssh -v` with this host",
            ),
            banner,
        )
    line = f"{key.get_algorithm()} {base64.b64encode(key.public_data).decode()}"
    return scanned_key(line), None, banner


def _merge(
    host: str, port: int, types: Sequence[str], outcomes: list[tuple[Any, Any, Any]]
) -> ScanResult:
    result = ScanResult(host, port)
    name = display_name(host, port)
    failures: list[Any] = []
    for key, failure, banner in outcomes:
        result.banner = result.banner or banner
        if key is not None:
            result.keys.append(key)
        elif failure is not None:
            failures.append(failure)
    if result.usable_keys:
        return result
    wanted = " or ".join(types)
    if result.keys:
        found = ", ".join(sorted({k.type for k in result.keys}))
        result.error = KeyscanError(
            name,
            Reason.NO_USABLE_HOST_KEY,
            f"offers no {wanted} key age can use (only {found})",
            hint="age needs an ssh-ed25519 or ssh-rsa (>= 2048 bits) host key; "
            "enable one in services.openssh.hostKeys",
        )
        return result
    real = [f for f in failures if isinstance(f, KeyscanError)]
    if real:
        result.error = real[0]
        return result
    offered = sorted({alg for f in failures for alg in f.offered})
    result.error = KeyscanError(
        name,
        Reason.NO_USABLE_HOST_KEY,
        f"offers no {wanted} host key (only {', '.join(offered) or 'none'})",
        hint="age needs an ssh-ed25519 or ssh-rsa host key; enable one in "
        "services.openssh.hostKeys",
    )
    return result


async def keyscan_async(
    targets: Sequence[str],
    *,
    types: Sequence[str] = ("ed25519", "rsa"),
    timeout: float = 5.0,
    concurrency: int = 64,
) -> list[ScanResult]:
    """Scan ``targets`` (see :func:`parse_target`); one result per target, in order."""
    unknown = [t for t in types if t not in KEY_TYPES]
    if unknown or not types:
        raise HostError(
            f"unknown key type: {', '.join(unknown) or '(none)'}",
            hint="use ed25519, rsa or ecdsa, comma-separated",
        )
    if timeout <= 0 or concurrency < 1:
        raise HostError(
            "timeout and concurrency must be positive",
            hint="e.g. timeout=5",
            reason=Reason.BAD_SCAN_SETTINGS,
        )
    parsed = [parse_target(target) for target in targets]
    semaphore = asyncio.Semaphore(concurrency)
    tasks = [
        [asyncio.ensure_future(_scan_one(host, port, kind, timeout, semaphore)) for kind in types]
        for host, port in parsed
    ]
    results = []
    for (host, port), host_tasks in zip(parsed, tasks, strict=True):
        outcomes = list(await asyncio.gather(*host_tasks))
        results.append(_merge(host, port, types, outcomes))
    return results


def keyscan(
    targets: Sequence[str],
    *,
    types: Sequence[str] = ("ed25519", "rsa"),
    timeout: float = 5.0,
    concurrency: int = 64,
) -> list[ScanResult]:
    """Scan ``targets`` and return one :class:`ScanResult` per target, in order.

    A host that cannot be scanned has ``error`` set (a KeyscanError with ``reason``:
    refused, timeout, unresolved, not-ssh, no-usable-key or error); the others go on.
    Bad targets or types raise HostError before anything is scanned.
    """
    return asyncio.run(
        keyscan_async(targets, types=types, timeout=timeout, concurrency=concurrency)
    )
