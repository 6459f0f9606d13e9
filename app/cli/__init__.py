"""The ``healthcircle`` command line.

Each sub-module registers its own commands; this module only assembles them.
"""

from __future__ import annotations

import logging

import typer

from app.cli import data, init, network, report, scenario, serve, site

cli = typer.Typer(
    name="healthcircle",
    help="县域 15分钟医疗卫生服务圈 / health-service coverage of a county against its plan.",
    no_args_is_help=True,
    add_completion=False,
)

for module in (init, data, network, report, site, scenario, serve):
    module.register(cli)


@cli.callback()
def _configure(verbose: bool = typer.Option(False, "--verbose", "-v", help="Show INFO log lines.")) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )


def main() -> None:
    """Run the command line."""
    cli()
