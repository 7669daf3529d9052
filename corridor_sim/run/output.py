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

Reading a result folder back goes through ``read_json`` so that a damaged file is reported as
bad input naming the file, never as a traceback.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import re
import shutil
import socket
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

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


def claim(out: str | Path, *, overwrite: bool = False, resume: bool = False, option: str = "--out") -> str:
    """Decide how a command may use ``out``: 'new' (absent or empty), 'resume' or 'replace'.

    Raises ResultsFolderError, naming the folder and the option, for a file or a symlink, for a
    folder holding anything corridor-sim did not write (even with --overwrite), and for existing
    results without --overwrite or --resume.
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
        return "resume"
    if overwrite:
        return "replace"
    resumable = (out / "manifest.json").is_file()
    raise ResultsFolderError(
        f"{option} {out} already holds results; "
        + ("add --resume to complete or extend them, or " if resumable else "add ")
        + "--overwrite to replace them (the old results stay until the new ones are "
        "complete), or choose another folder"
    )


def mark(folder: Path, kind: str) -> None:
    """Write the marker that says corridor-sim wrote this folder (and what it holds)."""
    write_json(folder / MARKER, {"written_by": "corridor-sim", "version": __version__, "kind": kind})


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
        shutil.rmtree(stage, ignore_errors=True)  # stage now holds the old results
        return
    old = Path(tempfile.mkdtemp(prefix=temp_prefix(out.name, "old"), dir=out.parent))
    os.rename(out, old)  # replaces the empty placeholder: the old results keep a traceable name
    os.rename(stage, out)
    shutil.rmtree(old, ignore_errors=True)


def write_folder(
    out: str | Path, write: Callable[[Path], Any], *, kind: str, overwrite: bool = False, option: str = "--out"
) -> Path:
    """Write a whole result folder: ``write`` fills a private folder beside ``out``, which is then
    swapped in. Nothing is written when ``out`` may not be used (see ``claim``)."""
    out = Path(out)
    claim(out, overwrite=overwrite, option=option)
    with scratch(out) as stage:
        write(stage)
        mark(stage, kind)
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
    out: str | Path, *, kind: str, overwrite: bool = False, resume: bool = False, option: str = "--out"
) -> Iterator[Workspace]:
    """A result folder filled over a long run (replications written as they finish).

    New or resumed: the folder itself, marked at once, so an interrupted run can be resumed.
    Replacing existing results (``overwrite``): a staging folder beside it, swapped in when the
    block ends normally and removed when it does not, so the old results survive any failure,
    interrupt or kill before the swap.
    """
    out = Path(out)
    mode = claim(out, overwrite=overwrite, resume=resume, option=option)
    if mode == "replace":
        with scratch(out) as stage:
            mark(stage, kind)
            yield Workspace(out, stage, True)
            swap_in(stage, out)
        return
    created = not out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)
        if not (out / MARKER).exists():
            mark(out, kind)
    except OSError as exc:
        raise ResultsFolderError(f"{option} {out} cannot be created ({exc.strerror or exc})") from None
    try:
        yield Workspace(out, out, False)
    except BaseException:
        # a new folder that got nothing but its marker goes again; anything written stays (--resume)
        if created and [p.name for p in out.iterdir()] == [MARKER]:
            shutil.rmtree(out, ignore_errors=True)
        raise


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
