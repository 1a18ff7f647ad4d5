"""Typed codec errors, the same class names as the host codec (protocol.md section 6)."""


class CodecError(ValueError):
    pass


class TruncatedError(CodecError):
    pass


class CrcError(CodecError):
    pass


class CobsError(CodecError):
    pass


class VersionError(CodecError):
    pass


class LengthError(CodecError):
    pass


class DepthError(CodecError):
    pass


class OversizeError(CodecError):
    pass


class MalformedError(CodecError):
    pass


class UnsupportedError(CodecError):
    pass
