"""One module per command: `run(options, ctx) -> Result`. No Typer, no printing of raw data."""
