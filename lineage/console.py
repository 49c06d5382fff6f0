"""One rich console for the command line, and the way a command fails with one clear line."""

from __future__ import annotations

from typing import NoReturn

import typer
from rich.console import Console

__all__ = ["console", "fail"]

console = Console()
_errors = Console(stderr=True)


def fail(message: str, code: int = 1) -> NoReturn:
    _errors.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)
