"""Operations: commands that combine the layers below (rules, hosts, store) in one
workspace, loaded once, written in one transaction. The CLI calls these and prints."""

from __future__ import annotations

from agepy.ops.host_flows import add_host, rescan
from agepy.ops.host_preview import HostOutcome, HostPreview
from agepy.ops.workspace import Workspace, WorkspaceTransaction, open_workspace

__all__ = [
    "HostOutcome",
    "HostPreview",
    "Workspace",
    "WorkspaceTransaction",
    "add_host",
    "open_workspace",
    "rescan",
]
