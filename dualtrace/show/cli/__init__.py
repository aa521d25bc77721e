"""The ``dualtrace`` command line (Typer + Rich).

Each capability keeps its commands in its own module with a ``register(app)``
function; :mod:`dualtrace.show.cli.app` lists the modules and wires them together.
"""
