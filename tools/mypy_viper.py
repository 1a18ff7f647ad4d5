"""mypy plugin for firmware/: a call into a `@micropython.viper` function may pass a buffer
(bytes, bytearray, memoryview, array) or an integer address where the signature says
`ptr8`/`ptr16`/`ptr32`, as viper converts either to a pointer at the call. Inside the
function the parameter keeps its pointer type, so its use is still checked.
"""

from __future__ import annotations

from collections.abc import Callable

from mypy.plugin import FunctionContext, Plugin
from mypy.types import CallableType, Instance, Type, UnionType, get_proper_type

_VIPER = "micropython.viper"
_POINTERS = frozenset({"builtins.ptr", "builtins.ptr8", "builtins.ptr16", "builtins.ptr32"})


class ViperPlugin(Plugin):
    def get_function_hook(self, fullname: str) -> Callable[[FunctionContext], Type] | None:
        return _accept_buffers_and_addresses if fullname == _VIPER else None


def _accept_buffers_and_addresses(ctx: FunctionContext) -> Type:
    sig = get_proper_type(ctx.default_return_type)
    if not isinstance(sig, CallableType):
        return ctx.default_return_type
    accepted = [
        ctx.api.named_generic_type("typing_extensions.Buffer", []),
        ctx.api.named_generic_type("builtins.int", []),
    ]
    args = [UnionType.make_union([t, *accepted]) if _is_pointer(t) else t for t in sig.arg_types]
    return sig.copy_modified(arg_types=args)


def _is_pointer(t: Type) -> bool:
    t = get_proper_type(t)
    return isinstance(t, Instance) and t.type.fullname in _POINTERS


def plugin(version: str) -> type[Plugin]:
    return ViperPlugin
