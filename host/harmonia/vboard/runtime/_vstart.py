# mypy: ignore-errors
# (MicroPython code for the unix port: host mypy does not apply to it)
# Entry point of a virtual board's MicroPython process; its globals become the REPL's.
import _vboard

_vboard.main(globals())
