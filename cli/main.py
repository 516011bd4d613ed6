"""The ``regio`` command: a click group; every command maps failures to exit codes.

The codes are defined once, in :mod:`allocator.status` (``EXIT_*`` and ``EXIT_CODES``), and listed in the
README's "When things go wrong".  A wrong command line (unknown option, missing argument) exits with
``EXIT_USAGE`` (64), apart from the codes of outcomes.  Bad input never shows a Python traceback.

The command modules import pandas, Pyomo and the procedures inside the commands, not at the top: ``regio
--help`` loads none of them (0.24 s instead of 1.5 s), and a command that starts worker processes starts them
before it imports the engine, so that both import it at once (``regio pareto``).
"""

from __future__ import annotations

import sys

import click

from allocator.status import EXIT_USAGE

from regio_cli.orlib import orlib
from regio_cli.pareto import pareto
from regio_cli.programme import monitor, programme, template
from regio_cli.report import report
from regio_cli.serve import serve
from regio_cli.solve import solve
from regio_cli.sweep import sweep
from regio_cli.users import compare, evaluate, extra_budget
from regio_cli.validate import scenario_cmd, validate


class RegioGroup(click.Group):
    """A click group whose usage errors exit with EXIT_USAGE instead of click's 2 (our 'infeasible')."""

    def main(self, *args, **kwargs):
        kwargs["standalone_mode"] = False
        try:
            return super().main(*args, **kwargs)
        except click.UsageError as err:
            err.show()
            sys.exit(EXIT_USAGE)
        except click.ClickException as err:
            err.show()
            sys.exit(err.exit_code)
        except click.exceptions.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(1)


@click.group(cls=RegioGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="regio")
def cli() -> None:
    """regio: allocate combined budgets and public facilities across regions.

    INSTANCE is a shipped name (default: nl), a folder with instance.toml,
    an .xlsx workbook, or gen:SIZE:SEED (S, M, L, XL) for a generated one.
    """


cli.add_command(validate)
cli.add_command(scenario_cmd)
cli.add_command(solve)
cli.add_command(orlib)
cli.add_command(extra_budget)
cli.add_command(compare)
cli.add_command(evaluate)
cli.add_command(pareto)
cli.add_command(sweep)
cli.add_command(report)
cli.add_command(programme)
cli.add_command(monitor)
cli.add_command(template)
cli.add_command(serve)
