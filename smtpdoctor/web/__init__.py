"""`smtpdoctor serve`: a small local web page for a support desk, beside the CLI.

A thin layer: it calls the functions the CLI calls (logs.explain.run_explain, app.run_check) and renders
their Report with render/html.py, the renderer of `--format html`. Only render/ and this package know HTML.
Imported by `serve` alone: Starlette, Uvicorn and Jinja2 cost the rest of the CLI nothing.
"""
