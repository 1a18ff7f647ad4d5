# `files`: deploy over the bus (docs/deploy.md). The host stages a version next to the
# running one (begin, keep, open/write/close), switches atomically (commit), then runs it
# without a reboot (activate): the new version goes first on sys.path and the services
# named in /hm.json (yours, outside `hm`) are imported anew from it and registered again.
#
# Add "hm.services.files" to "services" in /hm.json to offer it.
import sys

from hm import deployed


class FilesService:
    def __init__(self, node):
        self._node = node
        self._version = None
        self._roots = []
        self._f = None
        self._h = None
        self._left = 0
        self._sha = None
        self._dest = None

    def status(self):
        """deployed.info(), and the version imports come from now ("active")."""
        d = deployed.info()
        d["active"] = deployed.running()
        return d

    def manifest(self):
        """The current version's manifest (JSON text), or None."""
        return deployed.manifest_text()

    def begin(self, version, need):
        """Start staging `version` (room for `need` bytes is checked first)."""
        self._drop_file()
        deployed.begin(version, need)
        self._version = version
        self._roots = []
        return True

    def _where(self, path):
        if path[0] == "/":
            if path not in self._roots:
                self._roots.append(path)
            return path + ".new"
        if self._version is None:
            raise ValueError("no version is being staged: call files.begin first")
        return deployed.ROOT + "/" + deployed.STAGE + self._version + "/" + path

    def keep(self, paths):
        """Copy these files of the current version into the stage."""
        old = deployed.current()
        for path in paths:
            deployed.copy(deployed.ROOT + "/" + str(old) + "/" + path, self._where(path))
        return len(paths)

    def open(self, path, length, sha):
        """Start receiving a file of `length` bytes whose digest is `sha` ("-": none)."""
        self._drop_file()
        dest = self._where(path)
        deployed.makedirs(dest)
        self._f = open(dest, "wb")  # noqa: SIM115 - closed by close() or abort()
        self._h = None
        if sha != "-":
            import hashlib

            self._h = hashlib.sha256()
        self._left = length
        self._sha = sha
        self._dest = dest
        return True

    def write(self, data):
        """Append to the open file; returns the bytes still expected."""
        f = self._f
        if f is None:
            raise ValueError("no file is open: call files.open first")
        if len(data) > self._left:
            raise ValueError("more bytes than announced for " + str(self._dest))
        f.write(data)
        if self._h is not None:
            self._h.update(data)
        self._left -= len(data)
        return self._left

    def close(self):
        """Finish the open file and check its size and digest."""
        f = self._f
        if f is None:
            raise ValueError("no file is open")
        f.close()
        self._f = None
        if self._left:
            raise ValueError(str(self._dest) + ": " + str(self._left) + " bytes missing")
        if self._h is not None:
            import binascii

            if binascii.hexlify(self._h.digest()[:8]).decode() != self._sha:
                raise ValueError(str(self._dest) + ": corrupted in transit (SHA-256 differs)")
        return True

    def commit(self):
        """Switch to the staged version (the atomic pointer flip); returns its name."""
        version = self._version
        deployed.commit(version, self._roots)
        self._version = None
        self._roots = []
        return version

    def abort(self):
        """Drop what was staged; the current version is untouched."""
        self._drop_file()
        deployed.abort(self._version, self._roots)
        self._version = None
        self._roots = []
        return True

    def activate(self):
        """Run the current version now: it goes first on sys.path, and the services in
        /hm.json that are yours (outside `hm`) are imported anew from it and registered
        again. The framework itself (`hm`) keeps running until a reboot."""
        name = deployed.activate(False)
        from hm import app

        mods = [m for m in app.load().get("services") or () if m.split(".")[0] != "hm"]
        for top in {m.split(".")[0] for m in mods}:
            for k in [k for k in sys.modules if k == top or k.startswith(top + ".")]:
                del sys.modules[k]
        for mod in mods:
            m = __import__(mod)
            for part in mod.split(".")[1:]:
                m = getattr(m, part)
            m.register(self._node)
        return name

    def _drop_file(self):
        if self._f is not None:
            self._f.close()
            self._f = None


def register(node):
    node.register(
        "files",
        FilesService(node),
        "1.0",
        (
            "status",
            "manifest",
            "begin",
            "keep",
            "open",
            "write",
            "close",
            "commit",
            "abort",
            "activate",
        ),
    )
