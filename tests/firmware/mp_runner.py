# Runs on MicroPython: import a test module and run each of its test_* functions,
# printing one "@@HM-RESULT {json}" line per function. Usage: micropython mp_runner.py MODULE
import io
import json
import sys

MARK = "@@HM-RESULT "


def _report(name, status, tb):
    print(MARK + json.dumps({"name": name, "status": status, "traceback": tb}))


def main(modname):
    mod = __import__(modname)
    names = [n for n in dir(mod) if n.startswith("test_")]
    names.sort()
    for name in names:
        fn = getattr(mod, name)
        try:
            fn()
        except Exception as e:  # noqa: BLE001 - every failure is reported, not raised
            buf = io.StringIO()
            sys.print_exception(e, buf)
            _report(name, "fail", buf.getvalue())
        else:
            _report(name, "ok", "")


main(sys.argv[1])
