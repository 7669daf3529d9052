"""The output contract: what corridor-sim may write, replace and delete, decided in one place.

1. A command writes only into a folder that is absent, empty, or a corridor-sim result folder: one
   that carries the marker file ``.corridor-sim`` (written into every folder corridor-sim fills),
   or, for results written before the marker existed, a ``metadata.json`` / ``manifest.json`` with
   a ``scenario_hash`` or a ``comparison.json``. A folder holding anything else is never emptied,
   not even with ``--overwrite``.
2. Existing results are replaced only with ``--overwrite`` (or completed with ``--resume``), and
   even then the old folder stays whole until the new one is complete: the new folder is written
   beside it and swapped in (one atomic rename-exchange on Linux; elsewhere two renames, which the
   next run undoes if a kill lands between them).
3. Temporary files and folders have unique names, created exclusively (``mkstemp``/``mkdtemp``:
   O_EXCL, so never through a planted symlink), private (mode 0700/0600) until they are complete.
   Their names carry this host and pid (``.NAME.tmp-HOST-PID-XXXX``). They are removed on every
   exit path the process survives; those of a process that was killed are removed (or, for an old
   folder caught between two renames, put back) by the next command that writes beside them, once
   its pid is provably gone.
4. A file is replaced by renaming a finished temporary file over it, so a reader sees the old file
   or the new one, never half of one, and a symlink at the destination is replaced, not followed.
5. One writer per folder: a command holds a lock on its folder (``folder_lock``: a lock file
   named after the folder's real path, in a private per-user folder of the system's temporary
   folder, and beside it a holder file saying which process holds it) for as long as it runs; a
   second command on the same folder is refused, naming the holder.
6. Delete only what it wrote: the marker lists every file the command wrote there (``files``),
   kept current as files are written, so a killed run leaves a true list. ``--overwrite`` removes
   exactly those files, and refuses a folder holding any other (named), or any symbolic link:
   nothing is followed out of the folder. ``--resume`` refuses a folder another version of
   corridor-sim wrote unless asked to reuse it (``any_version``).

Reading a result folder back goes through ``read_json`` so that a damaged file is reported as
bad input naming the file, never as a traceback.
"""

from __future__ import annotations

import ctypes
import errno
import getpass
import hashlib
import json
import logging
import os
import re
import shlex
import shutil
import socket
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from filelock import FileLock, Timeout

from .._version import __version__

MARKER = ".corridor-sim"
LEGACY_SIGNATURES = ("metadata.json", "manifest.json", "comparison.json")
MAX_JSON_BYTES = 64 << 20  # metadata.json holds the whole resolved scenario (~100 kB); 64 MiB is ample


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_MASK = _umask()
DIR_MODE = 0o777 & ~_MASK  # what a plain mkdir would have given, applied when a folder is complete
FILE_MODE = 0o666 & ~_MASK


class ResultsFolderError(Exception):
    """A result folder or file that cannot be used as asked (bad input: the message names it)."""


# ----------------------------------------------------------------------------------------------
# Temporary names: .NAME.tmp-HOST-PID-XXXXXXXX (mkstemp/mkdtemp add the random part)
# ----------------------------------------------------------------------------------------------
def _host() -> str:
    return re.sub(r"[^A-Za-z0-9]", "_", socket.gethostname())[:24] or "host"


_LEFTOVER = re.compile(r"^\.(?P<name>.+)\.(?P<what>tmp|old)-(?P<host>[A-Za-z0-9_]+)-(?P<pid>\d+)-[A-Za-z0-9_]+$")


def temp_prefix(name: str, what: str = "tmp") -> str:
    """The prefix of a temporary name for ``name``: hidden, and traceable to this host and process.

    >>> import os
    >>> temp_prefix("annual.csv").endswith(f"-{os.getpid()}-") and temp_prefix("annual.csv").startswith(".annual.csv.tmp-")
    True
    """
    return f".{name}.{what}-{_host()}-{os.getpid()}-"


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with suppress(FileNotFoundError):
            path.unlink()


def clean_leftovers(folder: Path) -> list[Path]:
    """Remove the temporary files and folders in ``folder`` that a killed corridor-sim left behind.

    Only names of our own pattern, made on this host by a process that no longer exists, are
    touched. An ``.old-`` folder (the previous results, caught between the two renames of a swap)
    is put back under its name when nothing has taken its place; otherwise it is removed.
    Returns what was removed or restored.
    """
    done: list[Path] = []
    try:
        entries = list(Path(folder).iterdir())
    except OSError:
        return done
    host = _host()
    for entry in entries:
        m = _LEFTOVER.match(entry.name)
        if not m or m["host"] != host or _pid_alive(int(m["pid"])):
            continue
        if m["what"] == "old":
            final = entry.with_name(m["name"])
            if not final.exists() and not final.is_symlink():
                with suppress(OSError):
                    os.rename(entry, final)
                    done.append(final)
                    continue
        _remove(entry)
        done.append(entry)
    return done


# ----------------------------------------------------------------------------------------------
# Files: atomic replacement
# ----------------------------------------------------------------------------------------------
def write_file(path: str | Path, write: Callable[[BinaryIO], Any]) -> Path:
    """Write ``path`` atomically: ``write`` fills a fresh, exclusively created temporary file
    beside it (a binary file object), which then replaces ``path`` in one rename."""
    path = Path(path)
    if path.is_dir() and not path.is_symlink():
        raise ResultsFolderError(f"{path} is a folder; corridor-sim would write a file there")
    fd, tmp = tempfile.mkstemp(prefix=temp_prefix(path.name), dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        os.chmod(tmp, FILE_MODE)
        _record(path)  # listed before it exists: a kill between the two leaves no unlisted file
        os.replace(tmp, path)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return path


def write_text(path: str | Path, text: str) -> Path:
    return write_file(path, lambda fh: fh.write(text.encode("utf-8")))


def write_json(path: str | Path, data: Any) -> Path:
    return write_text(path, json.dumps(data, indent=2, default=str))


def read_json(path: str | Path, what: str = "file") -> Any:
    """Read a JSON file of a result folder; a missing, oversized or damaged one is a ResultsFolderError
    naming the file and what is wrong with it."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_JSON_BYTES:
            raise ResultsFolderError(
                f"{path}: the {what} is larger than {MAX_JSON_BYTES >> 20} MiB; corridor-sim did not write it"
            )
        text = path.read_text(encoding="utf-8")
        return json.loads(text)
    except FileNotFoundError:
        raise ResultsFolderError(f"{path}: the {what} is missing") from None
    except UnicodeDecodeError:
        raise ResultsFolderError(f"{path}: the {what} is damaged (not UTF-8 text)") from None
    except json.JSONDecodeError as exc:
        raise ResultsFolderError(
            f"{path}: the {what} is damaged (not valid JSON: {exc.msg} at line "
            f"{exc.lineno}, column {exc.colno}); run again with --overwrite"
        ) from None
    except OSError as exc:
        raise ResultsFolderError(f"{path}: the {what} cannot be read ({exc.strerror or exc})") from None


# ----------------------------------------------------------------------------------------------
# One writer per folder
# ----------------------------------------------------------------------------------------------
_HELD: dict[str, list] = {}  # lock file -> [FileLock, depth]: this process's locks, re-entered by nesting


def lock_dir() -> Path:
    """Where the folder locks live: one private folder per user in the system's temporary folder.
    Not beside the folder itself, so that a lock never becomes a file in somebody's results (a
    worker writing a replication would otherwise leave one in replications/)."""
    user = str(os.getuid()) if hasattr(os, "getuid") else re.sub(r"[^A-Za-z0-9]", "_", getpass.getuser())
    d = Path(tempfile.gettempdir()) / f"corridor-sim-locks-{user}"
    try:
        d.mkdir(mode=0o700, exist_ok=True)
        st = d.lstat()
    except OSError as exc:
        raise ResultsFolderError(f"the lock folder {d} cannot be created ({exc.strerror or exc})") from None
    if not d.is_dir() or d.is_symlink() or (hasattr(os, "getuid") and st.st_uid != os.getuid()):
        raise ResultsFolderError(f"the lock folder {d} is not a folder of this user; remove it and run again")
    return d


def _lock_files(out: Path) -> tuple[Path, Path]:
    real = os.path.realpath(out)  # one lock whichever way the folder is named (relative, via a link)
    key = hashlib.sha256(os.fsencode(real)).hexdigest()[:24]
    d = lock_dir()
    return d / f"{key}.lock", d / f"{key}.holder.json"


def _holder_text(holder: Path) -> str:
    try:
        h = json.loads(holder.read_text(encoding="utf-8"))
        return f"pid {int(h['pid'])} on {h['host']}, since {h['started']}: {h['command']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "a process that has not yet said which"


@contextmanager
def folder_lock(out: str | Path, option: str = "--out") -> Iterator[None]:
    """Hold the lock on the folder ``out`` for the block: one command writes a folder at a time.

    A second command on the same folder (another process) gets a ResultsFolderError at once,
    naming the folder and the process that holds it. Re-entrant within this process (a command
    holds it throughout and the functions writing the folder take it again). The operating
    system drops the lock of a process that dies, so a killed run never leaves a folder locked.
    """
    out = Path(out)
    lock_path, holder = _lock_files(out)
    key = str(lock_path)
    if key in _HELD:
        _HELD[key][1] += 1
        try:
            yield
        finally:
            _HELD[key][1] -= 1
        return
    lock = FileLock(lock_path, timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise ResultsFolderError(
            f"{option} {out} is being written by another corridor-sim command ({_holder_text(holder)}); "
            f"two commands writing one folder would mix their results: wait until it has finished, or "
            f"choose another {option}"
        ) from None
    except OSError as exc:
        raise ResultsFolderError(
            f"{option} {out}: its lock {lock_path} cannot be taken ({exc.strerror or exc})"
        ) from None
    _HELD[key] = [lock, 1]
    try:
        command = shlex.join([Path(sys.argv[0]).name, *sys.argv[1:]]) if sys.argv and sys.argv[0] else "python"
        write_json(
            holder,
            {
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "started": time.strftime("%Y-%m-%d %H:%M:%S"),
                "command": command[:300],
                "folder": os.path.realpath(out),
            },
        )
        yield
    finally:
        del _HELD[key]
        with suppress(OSError):
            holder.unlink()
        lock.release()


# ----------------------------------------------------------------------------------------------
# What corridor-sim wrote: the marker's list of files, and the files it does not list
# ----------------------------------------------------------------------------------------------
@dataclass
class _Ledger:
    """A folder written in place (a new or resumed long run): its marker, kept listing every file
    written into it as it is written."""

    meta: dict
    files: set[str]


_LEDGERS: dict[Path, _Ledger] = {}  # folders this process writes in place
_STAGES: set[Path] = set()  # staging folders this process fills over a long run


def _write_marker(folder: Path, meta: dict, files: set[str]) -> None:
    write_json(folder / MARKER, {**meta, "files": sorted(files)})


def _record(path: Path) -> None:
    """List ``path`` in the marker of the folder that holds it, when this process is writing that
    folder in place (or inside a staging folder it will swap in). The owner is the nearest folder
    up from ``path`` with a marker: a replicated scenario inside a comparison lists its own files.
    Files inside a temporary folder are left to that folder's marker, written when it is complete."""
    roots = [r for r in (*_LEDGERS, *_STAGES) if Path(os.path.abspath(path)).is_relative_to(r)]
    if not roots or path.name == MARKER:
        return
    full = Path(os.path.abspath(path))
    root = max(roots, key=lambda r: len(r.parts))
    if any(_LEFTOVER.match(part) for part in full.relative_to(root).parts[:-1]):
        return
    owner = next((d for d in full.parents if d.is_relative_to(root) and (d / MARKER).is_file()), None)
    if owner is None:
        return
    name = full.relative_to(owner).as_posix()
    ledger = _LEDGERS.get(owner)
    if ledger is None:
        meta = _marker(owner)
        if meta is None:
            return
        ledger = _Ledger({k: v for k, v in meta.items() if k != "files"}, _listed(owner))
    if name not in ledger.files:
        ledger.files.add(name)
        _write_marker(owner, ledger.meta, ledger.files)


def move_into(tmp: Path, out: Path) -> None:
    """Move every file of the finished private folder ``tmp`` into ``out``, each replacing one of
    the same name in one rename, and listed in ``out``'s marker when it is written in place."""
    for f in sorted(tmp.iterdir()):
        _record(out / f.name)
        os.replace(f, out / f.name)


def _marker(folder: Path) -> dict | None:
    m = folder / MARKER
    if m.is_symlink() or not m.is_file():
        return None
    try:
        data = read_json(m, "marker")
    except ResultsFolderError:
        return None
    return data if isinstance(data, dict) else None


def _listed(folder: Path) -> set[str]:
    files = (_marker(folder) or {}).get("files")
    return {f for f in files if isinstance(f, str)} if isinstance(files, list) else set()


def _own_root(entry: Path) -> bool:
    """A sub-folder with its own marker lists its own files (a replication, a scenario of a comparison)."""
    return _marker(entry) is not None


def _walk(root: Path, folder: Path, listed: set[str], visit: Callable[[Path, bool], None]) -> None:
    """Call ``visit(path, known)`` for every file and symbolic link under ``folder`` (depth first,
    links never followed), ``known`` saying whether the marker of the folder it belongs to lists it."""
    clean_leftovers(folder)
    for entry in sorted(folder.iterdir()):
        if entry.is_symlink():
            visit(entry, False)
        elif entry.is_dir():
            if _own_root(entry):
                _walk(entry, entry, _listed(entry), visit)
            else:
                _walk(root, entry, listed, visit)
            visit(entry, True)
        elif folder == root and entry.name == MARKER:
            continue
        else:
            visit(entry, entry.relative_to(root).as_posix() in listed)


def foreign_files(folder: str | Path) -> list[str]:
    """The files and links under ``folder`` (paths relative to it) that no corridor-sim marker
    lists: what ``--overwrite`` would have to delete without knowing it wrote them."""
    folder = Path(folder)
    found: list[str] = []

    def visit(path: Path, known: bool) -> None:
        if not known:
            found.append(path.relative_to(folder).as_posix())

    _walk(folder, folder, _listed(folder), visit)
    return found


def links_in(folder: str | Path) -> list[str]:
    """The symbolic links anywhere under ``folder`` (never followed)."""
    folder = Path(folder)
    found: list[str] = []
    for base, dirs, files in os.walk(folder):
        for name in [*dirs, *files]:
            p = Path(base) / name
            if p.is_symlink():
                found.append(p.relative_to(folder).as_posix())
    return sorted(found)


def written_files(folder: Path) -> set[str]:
    """Every file under a private staging folder (all written by this process), except those of
    sub-folders that carry their own marker (which list theirs)."""
    files: set[str] = set()

    def collect(d: Path) -> None:
        for entry in d.iterdir():
            if entry.is_symlink():
                continue
            if entry.is_dir():
                if not _own_root(entry):
                    collect(entry)
            elif not (d == folder and entry.name == MARKER):
                files.add(entry.relative_to(folder).as_posix())

    collect(folder)
    return files


def remove_written(folder: Path) -> list[str]:
    """Delete the files the markers under ``folder`` list, then the folders left empty; a file no
    marker lists, or a link, is left where it is. Returns what is left (paths relative to ``folder``)."""
    left: list[str] = []

    def visit(path: Path, known: bool) -> None:
        if path.is_dir() and not path.is_symlink():
            if [p.name for p in path.iterdir()] == [MARKER] and _own_root(path):
                (path / MARKER).unlink()
            with suppress(OSError):
                path.rmdir()  # only when empty
        elif known:
            with suppress(FileNotFoundError):
                path.unlink()
        else:
            left.append(path.relative_to(folder).as_posix())

    _walk(folder, folder, _listed(folder), visit)
    if not left:
        with suppress(FileNotFoundError):
            (folder / MARKER).unlink()
        with suppress(OSError):
            folder.rmdir()
    return left


def _dispose(old: Path, out: Path) -> None:
    """Remove the previous results (now at ``old``) file by file; should anything corridor-sim did
    not write have appeared since they were checked, keep it, in a visible folder beside ``out``."""
    left = remove_written(old)
    if left and old.exists():
        kept = out.with_name(f"{out.name}.kept-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}")
        os.rename(old, kept)
        logging.getLogger("corridor_sim").warning(
            f"{out}: {', '.join(left[:5])} appeared while the results were replaced and were not written by "
            f"corridor-sim; they are kept in {kept}"
        )


# ----------------------------------------------------------------------------------------------
# Folders: recognising our own, claiming one, staging and swapping
# ----------------------------------------------------------------------------------------------
def is_result_folder(folder: str | Path) -> bool:
    """True for a folder corridor-sim wrote (its marker, or the signature of an older result)."""
    folder = Path(folder)
    if not folder.is_dir() or folder.is_symlink():
        return False
    marker = folder / MARKER
    if marker.is_file() and not marker.is_symlink():
        return True
    for name in LEGACY_SIGNATURES:
        f = folder / name
        if f.is_file() and not f.is_symlink():
            try:
                data = read_json(f)
            except ResultsFolderError:
                continue
            if isinstance(data, dict) and ("scenario_hash" in data or name == "comparison.json"):
                return True
    return False


def _contents(folder: Path) -> list[str]:
    """What a folder holds, ignoring our marker and leftovers of dead runs (removed first)."""
    clean_leftovers(folder)
    return sorted(p.name for p in folder.iterdir() if p.name != MARKER)


def claim(
    out: str | Path,
    *,
    overwrite: bool = False,
    resume: bool = False,
    option: str = "--out",
    any_version: bool = False,
) -> str:
    """Decide how a command may use ``out``: 'new' (absent or empty), 'resume' or 'replace'.

    Raises ResultsFolderError, naming the folder and the option, for a file or a symlink, for a
    folder holding anything corridor-sim did not write, for results without --overwrite or
    --resume, with --overwrite for results beside files no marker lists (named), and with
    --resume for a folder holding a symbolic link or written by another version of corridor-sim
    (unless ``any_version``).
    """
    out = Path(out)
    blocker = next((p for p in out.parents if p.exists() or p.is_symlink()), None)
    if blocker is not None and not blocker.is_dir():
        raise ResultsFolderError(f"{option} {out}: {blocker} is a file, so no folder can be made inside it")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ResultsFolderError(
            f"{option} {out}: its parent folder cannot be created ({exc.strerror or exc})"
        ) from None
    clean_leftovers(out.parent)
    if out.is_symlink():
        raise ResultsFolderError(
            f"{option} {out} is a symbolic link; give the folder it points to, so that "
            "corridor-sim never writes somewhere it was not asked to"
        )
    if out.exists() and not out.is_dir():
        raise ResultsFolderError(f"{option} {out} is a file, not a folder; choose another {option}")
    if not out.exists():
        return "new"
    try:
        contents = _contents(out)
    except OSError as exc:
        raise ResultsFolderError(f"{option} {out} cannot be read ({exc.strerror or exc})") from None
    if not contents:
        return "new"
    if not is_result_folder(out):
        shown = ", ".join(contents[:5]) + (f" and {len(contents) - 5} more" if len(contents) > 5 else "")
        raise ResultsFolderError(
            f"{option} {out} holds files that corridor-sim did not write ({shown}); it never empties such a "
            f"folder, not even with --overwrite: choose another {option}, or move those files away"
        )
    if resume:
        _resumable(out, option, any_version)
        return "resume"
    foreign = foreign_files(out)
    if foreign:
        shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
        if "files" not in (_marker(out) or {}):
            raise ResultsFolderError(
                f"{option} {out} holds results that list no files they wrote (an earlier version of "
                f"corridor-sim, or another program, wrote them: {shown}); --overwrite deletes only the files "
                f"a previous run's marker ({MARKER}) lists, so it cannot replace these: delete the folder "
                f"yourself, or choose another {option}"
            )
        raise ResultsFolderError(
            f"{option} {out} holds results, but also files that no corridor-sim run there recorded writing "
            f"({shown}); --overwrite deletes only the files the previous run's marker ({MARKER}) lists "
            f"and never follows a link, so it refuses this folder: move those files away, or choose "
            f"another {option}"
        )
    if overwrite:
        return "replace"
    resumable = (out / "manifest.json").is_file()
    raise ResultsFolderError(
        f"{option} {out} already holds results; "
        + ("add --resume to complete or extend them, or " if resumable else "add ")
        + "--overwrite to replace them (the old results stay until the new ones are "
        "complete), or choose another folder"
    )


def _resumable(out: Path, option: str, any_version: bool) -> None:
    """--resume reads back and extends what is in ``out``: never through a link (it could lead out
    of the folder), and only what this version wrote unless ``any_version``."""
    # a link to a file at the top is replaced when that file is written, never written through; a
    # link resume would read or write into (a folder, one inside, the manifest) is refused
    links = [
        rel
        for rel in links_in(out)
        if "/" in rel or (out / rel).is_dir() or rel in ("replications", "manifest.json", MARKER)
    ]
    if links:
        first = out / links[0]
        raise ResultsFolderError(
            f"{option} {out}: {links[0]} is a symbolic link (to {os.readlink(first)}); --resume never "
            f"follows a link out of {option}: put the folder itself there, or choose another {option}"
        )
    version = (_marker(out) or {}).get("version")
    if version != __version__ and not any_version:
        was = f"corridor-sim {version}" if version else "a corridor-sim that recorded no version"
        raise ResultsFolderError(
            f"{option} {out} was written by {was}, and this is corridor-sim {__version__}: another version "
            "may simulate differently, so --resume does not mix its replications with this one's; add "
            "--resume-any-version to reuse them anyway (the folder's marker records both versions), or "
            "--overwrite to start again"
        )


def marker_meta(kind: str) -> dict:
    return {"written_by": "corridor-sim", "version": __version__, "kind": kind}


def mark(folder: Path, kind: str, files: set[str] | None = None) -> None:
    """Write the marker that says corridor-sim wrote this folder, what it holds, and (``files``)
    which files it wrote there."""
    _write_marker(folder, marker_meta(kind), files or set())


@contextmanager
def scratch(beside: Path) -> Iterator[Path]:
    """A private temporary folder beside ``beside`` (same file system, so its files can be renamed
    into place), removed on every exit path."""
    beside.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=temp_prefix(beside.name), dir=beside.parent))
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    at_fdcwd, rename_exchange = -100, 2
    if fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False  # this file system cannot exchange: fall back to two renames
    raise OSError(err, os.strerror(err), str(b))


def swap_in(stage: Path, out: Path) -> None:
    """Put the complete folder ``stage`` in the place of ``out``; the old ``out`` (if any) is
    removed only once the new one is in place."""
    os.chmod(stage, DIR_MODE)
    if not out.exists():
        os.rename(stage, out)
        return
    if not any(out.iterdir()):
        os.rename(stage, out)  # POSIX rename replaces an empty folder
        return
    if _exchange(stage, out):
        _dispose(stage, out)  # stage now holds the old results
        return
    old = Path(tempfile.mkdtemp(prefix=temp_prefix(out.name, "old"), dir=out.parent))
    os.rename(out, old)  # replaces the empty placeholder: the old results keep a traceable name
    os.rename(stage, out)
    _dispose(old, out)


def write_folder(
    out: str | Path, write: Callable[[Path], Any], *, kind: str, overwrite: bool = False, option: str = "--out"
) -> Path:
    """Write a whole result folder: ``write`` fills a private folder beside ``out``, which is then
    swapped in. Nothing is written when ``out`` may not be used (see ``claim``)."""
    out = Path(out)
    with folder_lock(out, option):
        claim(out, overwrite=overwrite, option=option)
        with scratch(out) as stage:
            write(stage)
            mark(stage, kind, written_files(stage))
            swap_in(stage, out)
    return out


@dataclass(frozen=True)
class Workspace:
    """Where a long command writes: ``path`` is ``final`` itself (a new or resumed folder, written
    as it goes) or, when it replaces existing results, a staging folder swapped in at the end."""

    final: Path
    path: Path
    staged: bool


@contextmanager
def result_folder(
    out: str | Path,
    *,
    kind: str,
    overwrite: bool = False,
    resume: bool = False,
    option: str = "--out",
    any_version: bool = False,
) -> Iterator[Workspace]:
    """A result folder filled over a long run (replications written as they finish), locked for
    the block (``folder_lock``).

    New or resumed: the folder itself, marked at once and its marker kept listing each file as it
    is written, so an interrupted run can be resumed, or replaced file by file. Replacing existing
    results (``overwrite``): a staging folder beside it, swapped in when the block ends normally
    and removed when it does not, so the old results survive any failure, interrupt or kill before
    the swap.
    """
    out = Path(out)
    with folder_lock(out, option):
        mode = claim(out, overwrite=overwrite, resume=resume, option=option, any_version=any_version)
        if mode == "replace":
            with scratch(out) as stage:
                mark(stage, kind)
                _STAGES.add(Path(os.path.abspath(stage)))
                try:
                    yield Workspace(out, stage, True)
                finally:
                    _STAGES.discard(Path(os.path.abspath(stage)))
                mark(stage, kind, written_files(stage))
                swap_in(stage, out)
            return
        with _in_place(out, kind, mode == "resume", option) as ws:
            yield ws


@contextmanager
def adding_to(folder: str | Path, *, kind: str, option: str = "--out") -> Iterator[Workspace]:
    """Add files to results corridor-sim wrote in ``folder`` (statistics beside the replications a
    call of ``replicate`` wrote there), locked for the block and each file listed in its marker,
    so a later --overwrite may replace them."""
    folder = Path(folder)
    with folder_lock(folder, option):
        if not is_result_folder(folder):
            raise ResultsFolderError(f"{option} {folder} does not hold results corridor-sim wrote")
        with _in_place(folder, kind, True, option, note_version=False) as ws:
            yield ws


@contextmanager
def _in_place(out: Path, kind: str, resumed: bool, option: str, note_version: bool = True) -> Iterator[Workspace]:
    root = Path(os.path.abspath(out))
    if root in _LEDGERS:  # the command already writes this folder in place (run, then replicate)
        yield Workspace(out, out, False)
        return
    created = not out.exists()
    previous = _marker(out) if resumed else None
    meta = {k: v for k, v in (previous or marker_meta(kind)).items() if k != "files"}
    if resumed and meta.get("version") != __version__ and note_version:
        meta["resumed_by"] = sorted({*meta.get("resumed_by", []), __version__})
        logging.getLogger("corridor_sim").warning(
            f"{out}: reusing results written by corridor-sim {meta.get('version') or '(no version recorded)'} "
            f"in a run of corridor-sim {__version__} (--resume-any-version)"
        )
    ledger = _Ledger(meta, _listed(out) if resumed else set())
    try:
        out.mkdir(parents=True, exist_ok=True)
        _write_marker(out, ledger.meta, ledger.files)
    except OSError as exc:
        raise ResultsFolderError(f"{option} {out} cannot be created ({exc.strerror or exc})") from None
    _LEDGERS[root] = ledger
    try:
        yield Workspace(out, out, False)
    except BaseException:
        # a new folder that got nothing but its marker goes again; anything written stays (--resume)
        if created and [p.name for p in out.iterdir()] == [MARKER]:
            shutil.rmtree(out, ignore_errors=True)
        raise
    finally:
        _LEDGERS.pop(root, None)


def claim_file(path: str | Path, *, signature: bytes, overwrite: bool = False, option: str = "--out") -> None:
    """May a command write the file ``path``? Absent: yes. A file it wrote before (its first 4 kB
    hold ``signature``): only with --overwrite. Anything else: never."""
    path = Path(path)
    if path.is_symlink():
        raise ResultsFolderError(f"{option} {path} is a symbolic link; give the real file name")
    if not path.exists():
        return
    if path.is_dir():
        raise ResultsFolderError(f"{option} {path} is a folder; give a file name")
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError as exc:
        raise ResultsFolderError(f"{option} {path} cannot be read ({exc.strerror or exc})") from None
    if signature not in head:
        raise ResultsFolderError(
            f"{option} {path} exists and corridor-sim did not write it; it is never "
            f"replaced, not even with --overwrite: choose another {option}"
        )
    if not overwrite:
        raise ResultsFolderError(f"{option} {path} already exists; add --overwrite to replace it")
