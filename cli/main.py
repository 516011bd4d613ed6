"""The ``regio`` command: a click group; every command maps failures to exit codes.

Exit codes: 0 ok; 1 input error (file, row, column named); 2 infeasible policy
(explained); 3 no solution (time limit without incumbent, solver error).
Bad input never shows a Python traceback.
"""

from __future__ import annotations

import click

from cli.orlib import orlib
from cli.pareto import pareto
from cli.report import report
from cli.solve import solve
from cli.sweep import sweep
from cli.users import compare, evaluate, extra_budget
from cli.validate import scenario_cmd, validate


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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
