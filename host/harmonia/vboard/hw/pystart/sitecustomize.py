"""Runs in the CPython launcher of a virtual board's MicroPython child (via PYTHONPATH).

The `micropython` command is CPython hosting the interpreter. A do-nothing handler
for the kick signal, installed without SA_RESTART, lets the hardware hub interrupt
a blocking sleep, poll or read in MicroPython's main thread, which then runs its
pending IRQ callbacks at once. HM_HW_KICK tells the child's machine module that
the handler is in place (without it the hub never sends the signal).
"""

import os
import signal

if os.environ.get("HM_HW"):
    signal.signal(signal.SIGUSR2, lambda signum, frame: None)
    signal.siginterrupt(signal.SIGUSR2, True)
    os.environ["HM_HW_KICK"] = str(int(signal.SIGUSR2))
