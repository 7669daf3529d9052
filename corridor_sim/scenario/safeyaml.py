"""Reading YAML from users with limits, so that no file, however made, can hang, exhaust or crash
the loader.

* Files: only regular files (a FIFO, device, socket or folder is refused before it is opened, and
  the open itself never blocks), at most ``MAX_FILE_BYTES``, decoded as UTF-8 (a UTF-8 byte order
  mark is allowed); UTF-16/32, binary and Latin-1 files get a message naming the encoding problem
  and where it is.
* Documents: YAML's safe subset (no Python objects), nesting at most ``MAX_DEPTH`` levels, and at
  most ``MAX_NODES`` values once aliases are expanded, so an alias bomb ("billion laughs") is
  refused before anything walks it; an alias that contains itself is refused too.
* Values: an impossible date (2025-02-30) or an integer too long to read is an error at its line,
  not a crash.

Errors are ``YamlInputError`` with a message that names the line and column but does not quote
the file, so that reading a file that is not a scenario never echoes its contents.
"""

from __future__ import annotations

import codecs
import os
import stat
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.resolver import Resolver

MAX_FILE_BYTES = 1 << 20  # base.yaml is ~30 kB; 1 MiB is 30 times the largest scenario we know
MAX_DEPTH = 64  # the schema nests 7 levels (demand.flows.X.routes.Y.path.N)
MAX_NODES = 200_000  # base.yaml composes to ~6,000 values; a bomb expands to billions


class YamlInputError(Exception):
    """A file or value that cannot be read as YAML within the limits (message for the user)."""


class YamlSyntaxError(YamlInputError):
    """A command-line value that is not YAML at all (--set reads it as plain text instead)."""


# ----------------------------------------------------------------------------------------------
# Files
# ----------------------------------------------------------------------------------------------
def read_text(path: str | Path) -> str:
    """The text of a regular file of at most MAX_FILE_BYTES, decoded as UTF-8.

    Raises FileNotFoundError for a missing file and YamlInputError for anything else wrong.
    """
    path = Path(path)
    st = os.stat(path)  # follows symlinks, as opening will
    kind = _kind(st.st_mode)
    if kind:
        raise YamlInputError(f"is {kind}, not a file; a scenario is a YAML text file")
    if st.st_size > MAX_FILE_BYTES:
        raise YamlInputError(f"is {st.st_size:,} bytes; a scenario file may be at most {MAX_FILE_BYTES >> 20} MiB")
    # O_NONBLOCK: should the path have become a FIFO since the stat, opening it does not wait
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        kind = _kind(os.fstat(fd).st_mode)
        if kind:
            raise YamlInputError(f"is {kind}, not a file; a scenario is a YAML text file")
        chunks, size = [], 0
        while size <= MAX_FILE_BYTES:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > MAX_FILE_BYTES:
        raise YamlInputError(f"is larger than {MAX_FILE_BYTES >> 20} MiB; a scenario file may be at most that")
    return decode(data)


def _kind(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def decode(data: bytes) -> str:
    """UTF-8 text, or a YamlInputError that says which encoding problem it is and where.

    >>> decode("name: \\u00e9".encode())
    'name: é'
    >>> decode(codecs.BOM_UTF8 + b"a: 1")
    'a: 1'
    >>> decode("name: caf\\u00e9".encode("latin-1"))
    Traceback (most recent call last):
    corridor_sim.scenario.safeyaml.YamlInputError: is not UTF-8 text: byte 0xe9 at line 1, column 10 is not valid UTF-8 (Latin-1 or Windows-1252, perhaps); save the file as UTF-8
    """
    for bom, name in (
        (codecs.BOM_UTF32_LE, "UTF-32"),
        (codecs.BOM_UTF32_BE, "UTF-32"),
        (codecs.BOM_UTF16_LE, "UTF-16"),
        (codecs.BOM_UTF16_BE, "UTF-16"),
    ):
        if data.startswith(bom):
            raise YamlInputError(f"is {name} text (it starts with a {name} byte order mark); save it as UTF-8")
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise YamlInputError(
            f"contains a NUL byte at line {line}: it is a binary file, or "
            "UTF-16 text without a byte order mark, not UTF-8 text"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise YamlInputError(
            f"is not UTF-8 text: byte 0x{data[exc.start]:02x} at line {line}, column {column} "
            "is not valid UTF-8 (Latin-1 or Windows-1252, perhaps); save the file as UTF-8"
        ) from None


# ----------------------------------------------------------------------------------------------
# Documents
# ----------------------------------------------------------------------------------------------
try:  # libyaml's scanner and parser (in C), where PyYAML was built with it
    from yaml._yaml import CParser as _Parser

    LIBYAML = True
    _READS: tuple[type, ...] = (_Parser,)
except ImportError:  # pragma: no cover - PyYAML's own reader, scanner and parser (pure Python)
    LIBYAML = False
    _READS = (yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser)


class _LimitedLoader(*_READS, Composer, SafeConstructor, Resolver):  # type: ignore[misc]
    """A safe loader that stops at MAX_DEPTH levels of nesting and turns a bad scalar into an error
    at its line. Events come from libyaml's parser where PyYAML has it (scanning and parsing are
    most of a load: a scenario with its ``extends`` chain reads about three times faster); the
    nodes are composed here, by PyYAML's composer, so the depth limit holds whichever parser is
    used: libyaml's own composer recurses in C, which no limit of Python's would stop.
    tests/test_input_contract.py checks that both parsers give the same values at the same lines."""

    def __init__(self, stream):
        if LIBYAML:
            _Parser.__init__(self, stream)
        else:  # pragma: no cover - tested in a subprocess without libyaml
            yaml.reader.Reader.__init__(self, stream)
            yaml.scanner.Scanner.__init__(self)
            yaml.parser.Parser.__init__(self)
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)
        self._depth = 0
        self.nodes = 0  # composed, aliases counted once
        self.aliases = False

    # libyaml's parser comes with a composer of its own: PyYAML's is used (see above)
    get_single_node = Composer.get_single_node
    compose_document = Composer.compose_document

    def compose_node(self, parent, index):
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise YamlInputError(
                    f"nests deeper than {MAX_DEPTH} levels at line {mark.line + 1}, "
                    f"column {mark.column + 1} (a scenario needs fewer than 10)"
                )
            self.nodes += 1
            self.aliases = self.aliases or self.check_event(yaml.AliasEvent)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_object(self, node, deep=False):
        try:
            return super().construct_object(node, deep)
        except yaml.YAMLError:
            raise
        except (ValueError, TypeError, OverflowError) as exc:  # e.g. 2025-02-30, a 5000-digit integer
            raise ConstructorError(None, None, f"a value cannot be read ({exc})", node.start_mark) from None


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [x for kv in node.value for x in kv]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def expanded_size(root: yaml.Node, limit: int = MAX_NODES) -> int:
    """How many values ``root`` holds once every alias is expanded (YamlInputError past ``limit``
    or for an alias inside its own anchor). Iterative, memoized by node, so a bomb costs its
    composed size, not its expanded one."""
    size: dict[int, int] = {}
    visiting: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            visiting.discard(key)
            total = 1 + sum(size[id(c)] for c in _children(node))
            if total > limit:
                raise YamlInputError(
                    f"expands to more than {limit:,} values through aliases (*name) near line "
                    f"{node.start_mark.line + 1}; a scenario has a few thousand"
                )
            size[key] = total
            continue
        if key in size:
            continue
        if key in visiting:
            raise YamlInputError(
                f"has an alias inside its own anchor near line {node.start_mark.line + 1}, which expands without end"
            )
        visiting.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in _children(node) if id(c) not in size)
    return size[id(root)]


def load(text: str) -> tuple[Any, yaml.Node | None]:
    """Parse one YAML document within the limits: (data, composed node tree for line look-ups).

    Raises yaml.YAMLError for a syntax error (with its mark) and YamlInputError for a limit."""
    loader = _LimitedLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None
        if loader.aliases:  # an alias may expand to more than was composed
            expanded_size(node)
        elif loader.nodes > MAX_NODES:  # without one, what was composed is all there is
            raise YamlInputError(f"holds more than {MAX_NODES:,} values; a scenario has a few thousand")
        return loader.construct_document(node), node
    except RecursionError:
        raise YamlInputError(f"nests too deeply to be read (the limit is {MAX_DEPTH} levels)") from None
    except yaml.MarkedYAMLError as exc:
        # libyaml's scanner looks ahead through open brackets and has a nesting limit of its own
        # (1,000 levels): past it, it stops before the composer's limit is reached; same verdict
        mark = exc.problem_mark
        if mark is None or "nesting depth" not in str(exc.problem):
            raise
        raise YamlInputError(
            f"nests deeper than {MAX_DEPTH} levels by line {mark.line + 1}, "
            f"column {mark.column + 1} (a scenario needs fewer than 10)"
        ) from None
    finally:
        loader.dispose()


def load_value(text: str) -> Any:
    """A YAML scalar or small value given on the command line (--set, --vary), within the limits.

    >>> load_value("1.5"), load_value("[1, 2]"), load_value("true")
    (1.5, [1, 2], True)
    """
    try:
        return load(text)[0]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at column {mark.column + 1}" if mark else ""
        raise YamlSyntaxError(f"not valid YAML{where}: {getattr(exc, 'problem', None) or 'syntax error'}") from None
