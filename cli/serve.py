"""``regio serve``: the planners' what-if web app on this machine (allocator.web)."""

from __future__ import annotations

import click

from regio_cli.common import handle_input_errors, instance_argument


@click.command()
@instance_argument
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; 127.0.0.1 keeps the app to this machine (0.0.0.0 opens it to the network).")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--results", type=click.Path(file_okay=False), default="regio-results", show_default=True,
              help="Folder of the job folders; runs found here from an earlier start are listed again.")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Worker processes solving jobs (at most one per core), each keeping a model warm.")
@click.option("--max-jobs", type=click.IntRange(1, 1000), default=8, show_default=True,
              help="Jobs waiting or running at once; one more is refused with 429.")
@handle_input_errors
def serve(instance, host, port, results, workers, max_jobs):
    """The what-if web app: open http://HOST:PORT/ in a browser (Dutch; English at /?lang=en).

    The JSON API it uses is documented in docs/web.md; /openapi.json describes it."""
    import uvicorn

    from allocator.instance import DEFAULT_INSTANCE
    from allocator.web.app import create_app

    app = create_app(instance or DEFAULT_INSTANCE, results, workers=workers, max_jobs=max_jobs)
    click.echo(f"regio serve: http://{host}:{port}/  (results in {results}/; Ctrl-C stops)", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
