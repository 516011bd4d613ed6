"""What every command shares: the instance argument, scenario options, error handling, JSON output."""

from __future__ import annotations

import functools
import json
import os
import signal
import sys
import threading

from typing import NamedTuple

import click

from allocator.errors import InputError
from allocator.scenario import parse_set

from allocator.status import EXIT_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_IO, BuildTimeLimit

instance_argument = click.argument("instance", required=False, default=None, metavar="[INSTANCE]")
class ScenarioChoice(NamedTuple):
    """What the command line says about the scenario: a file (or none) and the ``--set KEY=VALUE`` items."""

    file: str | None
    sets: tuple[str, ...] = ()

    @property
    def overrides(self) -> dict:
        """The ``--set`` items as nested overrides (an input error names a malformed item)."""
        return parse_set(self.sets)


def scenario_option(fn):
    """``-s FILE`` and ``--set KEY=VALUE`` (repeatable), handed to the command as one ``scenario_file``
    argument, a :class:`ScenarioChoice`."""
    @functools.wraps(fn)
    def wrapper(*args, scenario_file=None, set_values=(), **kwargs):
        return fn(*args, scenario_file=ScenarioChoice(scenario_file, tuple(set_values)), **kwargs)

    wrapper = set_option(wrapper)
    return click.option("--scenario", "-s", "scenario_file", type=click.Path(dir_okay=False),
                        help="Scenario TOML file (may 'extends' another).")(wrapper)


def set_option(fn):
    return click.option("--set", "set_values", multiple=True, metavar="KEY=VALUE",
                           help="Change one scenario field, e.g. --set shortfall_price=20000 --set norms.gp_practice=15 "
                                "(repeatable; validated like a scenario file).")(fn)
json_option = click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")


def emit_json(obj: dict) -> None:
    click.echo(json.dumps(obj, indent=2, default=_default, allow_nan=False))


def _default(o):
    if hasattr(o, "item"):
        return o.item()
    if hasattr(o, "value"):
        return o.value
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def handle_input_errors(fn):
    """Input errors -> readable message (or JSON), exit 1; Ctrl-C / SIGTERM -> 'interrupted', exit 130.

    Output is written atomically (allocator.output), so an interrupted run leaves the previous
    output folder or none.
    """

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        previous = signal.signal(signal.SIGTERM, _raise_interrupt) if _main_thread() else None
        try:
            return fn(*args, **kwargs)
        except KeyboardInterrupt:
            click.echo("interrupted: no output was written; any previous output folder is unchanged", err=True)
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(EXIT_INTERRUPTED)  # also ends a solver thread still running in C++
        except InputError as err:
            if kwargs.get("as_json"):
                emit_json({"valid": False, "status": "input_error", "errors": [i.as_dict() for i in err.issues]})
            else:
                click.echo(f"Input error ({len(err.issues)} problem{'s' if len(err.issues) != 1 else ''}):", err=True)
                click.echo(str(err), err=True)
            sys.exit(EXIT_INPUT)
        except BuildTimeLimit as err:
            _fail(kwargs, err.status.value, str(err), err.status.exit_code)
        except OSError as err:
            _fail(kwargs, "io_error", f"{err.filename or ''}: {err.strerror or err}".lstrip(": "), EXIT_IO)
        except (SystemExit, click.exceptions.Exit, click.ClickException):
            raise
        except Exception as err:  # a bug: one line, not a traceback (REGIO_DEBUG=1 shows it)
            if os.environ.get("REGIO_DEBUG"):
                raise
            _fail(kwargs, "internal_error", f"{type(err).__name__}: {err} (a bug in regio; please report it with "
                  "the command that caused it; REGIO_DEBUG=1 shows the traceback)", EXIT_INTERNAL)
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)

    return wrapper


def _fail(kwargs: dict, status: str, message: str, code: int) -> None:
    if kwargs.get("as_json"):
        emit_json({"valid": False, "status": status, "errors": [{"message": message}]})
    else:
        click.echo(f"Error: {message}", err=True)
    sys.exit(code)


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


csv_option = click.option("--csv", "csv_dialect", type=click.Choice(["plain", "nl"]), default="plain", show_default=True,
                          help="CSV dialect of --out tables: plain (comma, decimal point; what regio reads back) or nl "
                               "(semicolon, decimal comma: Excel with Dutch settings).")
force_option = click.option("--force", is_flag=True, help="Replace --out if it exists.")
time_option = click.option("--time-limit", type=float, help="Seconds per solve (HiGHS); the build counts against it too.")
gap_option = click.option("--mip-gap", type=float, help="Relative MIP gap at which HiGHS stops.")
