"""`campaignctl sandbox serve` and `campaignctl callbacks serve`: the HTTP servers the
package runs (the vendor emulator; the receiver of vendor event callbacks)."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.cli.options import env_option


@click.group()
def sandbox() -> None:
    """The built-in emulator of the vendor APIs."""


@sandbox.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8787, show_default=True, type=int)
@click.option("--data-dir", default=".campaignctl/sandbox", show_default=True,
              type=click.Path(file_okay=False, path_type=Path))
def sandbox_serve(host: str, port: int, data_dir: Path) -> None:
    """Serve the emulator on HTTP (point an account's base_url at it)."""
    import uvicorn

    from reconciler.sandbox.app import build_app
    from reconciler.vendors import installed

    installed()  # a plug-in that cannot be used: one clear error before serving
    click.echo(f"sandbox serving on http://{host}:{port} (data in {data_dir})")
    # Injected faults raise inside the app by design; uvicorn would log each as a crash.
    uvicorn.run(build_app(data_dir), host=host, port=port, log_level="critical")


@click.group()
def callbacks() -> None:
    """Receive vendor event callbacks (scheduled-campaigns `event_callback`)."""


@callbacks.command("serve")
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8790, show_default=True, type=int)
@env_option
def callbacks_serve(directory: Path, host: str, port: int, environment: str | None) -> None:
    """Store events POSTed to http://HOST:PORT/ACCOUNT/CAMPAIGN in the state store."""
    import uvicorn

    from reconciler.callbacks import build_app

    app = build_app(directory, environment)
    click.echo(f"receiving callbacks on http://{host}:{port}/ACCOUNT/CAMPAIGN")
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
