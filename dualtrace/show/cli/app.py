"""Assembles the ``dualtrace`` Typer app and runs it with one-line errors."""

from __future__ import annotations

import importlib
import sys

import typer

from dualtrace.errors import DualtraceError
from dualtrace.show.cli.console import err_console

# Modules that contribute commands; each defines ``register(app: typer.Typer)``.
COMMAND_MODULES: tuple[str, ...] = (
    "dualtrace.show.cli.load",
    "dualtrace.show.cli.query",
    "dualtrace.show.cli.demo",
    "dualtrace.show.cli.load_lists_eu_uk_un",
    "dualtrace.show.cli.admin",
    "dualtrace.show.cli.report",
    "dualtrace.show.cli.screen",
    "dualtrace.show.cli.serve",
    "dualtrace.show.cli.documents",
    "dualtrace.show.cli.network",
    "dualtrace.show.cli.trade",
    "dualtrace.show.cli.lists_us",
    "dualtrace.show.cli.resolve_cmds",
)

app = typer.Typer(
    name="dualtrace",
    help="Counter-proliferation and sanctions-evasion investigations: lists, screening, "
    "networks and evidence.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
load_app = typer.Typer(help="Load lists, FtM data, trade records or documents into the store.")
export_app = typer.Typer(help="Export data from the store.")
app.add_typer(load_app, name="load")
app.add_typer(export_app, name="export")

for _name in COMMAND_MODULES:
    importlib.import_module(_name).register(app)


def main() -> None:
    """Entry point: user-facing errors become one red line and exit code 1."""
    try:
        app(standalone_mode=False)
    except DualtraceError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(1)
    except KeyboardInterrupt:
        err_console.print("[bold red]interrupted[/]")
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err_console.print("[bold red]aborted[/]")
        sys.exit(1)
    except Exception as exc:
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        err_console.print(
            f"[bold red]internal error:[/] {type(exc).__name__}: {exc} "
            "(please report this with the command you ran)",
            highlight=False,
        )
        sys.exit(2)


if __name__ == "__main__":
    main()
