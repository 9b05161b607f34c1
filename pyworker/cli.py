"""Command line of the worker: ``xlrl-worker serve`` (also ``python -m pyworker serve``)."""

from __future__ import annotations

import click

from pyworker import PROTOCOL_VERSION, __version__


@click.group()
@click.version_option(__version__, prog_name="xlrl-worker")
def main() -> None:
    """The Python worker of xlrl. The Go host starts it; it also runs on its own."""


@main.command()
@click.option(
    "--import",
    "imports",
    multiple=True,
    metavar="MODULE",
    help="Import MODULE at start to serve the methods it registers (repeatable).",
)
def serve(imports: tuple[str, ...]) -> None:
    """Serve msgpack-RPC on stdin/stdout until stdin closes."""
    from pyworker import server

    server.main(list(imports))


def _mount_generative_groups() -> None:
    from pyworker.gen.cli import gen, robust

    main.add_command(gen)
    main.add_command(robust)


_mount_generative_groups()


@main.command()
def version() -> None:
    """Print the package and protocol versions."""
    click.echo(f"xlrl-worker {__version__} (protocol {PROTOCOL_VERSION[0]}.{PROTOCOL_VERSION[1]})")
