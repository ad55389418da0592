"""An opt-in `agenix` command: a launcher that runs agepy with agenix's command line.

Scripts and Makefiles that call `agenix -e …`/`-r`/`-d` keep working once agenix is
gone. Nothing is installed under that name unless asked (`agepy agenix-shim`): a
machine may have the real agenix too. A symlink named `agenix` to the `agepy` command
works the same way (agepy looks at the name it was called by).
"""

from __future__ import annotations

import sys
from pathlib import Path

from agepy.errors import StoreError

__all__ = ["MARKER", "install_agenix_shim", "launcher_text"]

MARKER = "# agenix command line for agepy (written by `agepy agenix-shim`)"


def launcher_text(python: str | None = None) -> str:
    """The launcher: this Python, agepy's agenix entry point."""
    return (
        f"#!{python or sys.executable}\n{MARKER}\n"
        "import sys\n\nfrom agepy.cli import agenix_main\n\nsys.exit(agenix_main())\n"
    )


def install_agenix_shim(folder: Path, *, force: bool = False) -> Path:
    """Write ``folder/agenix`` (mode 0755); StoreError if another file is there."""
    target = folder / "agenix"
    try:
        existing = target.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        existing = None
    except OSError as exc:
        raise StoreError(
            f"cannot read {target}: {exc.strerror or exc}", hint="choose another folder"
        ) from None
    if existing is not None and MARKER not in existing and not force:
        raise StoreError(
            f"{target} exists and is not agepy's launcher (the real agenix?)",
            hint="remove it first, choose another folder, or replace it with --force",
        )
    temp = folder / ".agenix.agepy-shim"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        temp.write_text(launcher_text(), encoding="utf-8")
        temp.chmod(0o755)
        temp.replace(target)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise StoreError(
            f"cannot write {target}: {exc.strerror or exc}",
            hint="choose a folder you may write to (one on your PATH)",
        ) from None
    return target
