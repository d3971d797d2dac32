"""A griffe extension that reads anyvideo's docstrings the way they are written.

The code documents itself in Sphinx's conventions, which griffe and mkdocstrings
do not read on their own:

- ``#:`` comments above (or after) an assignment document that name, as Sphinx's
  autodoc reads them; griffe only reads a string literal below it.
- Cross-references are Sphinx roles (``:class:`~anyvideo.Room```, ``:meth:`Video.close
  <anyvideo.client.Video.close>```), which would show as literal text. Each becomes a
  link to the object when the API reference renders it, and code text otherwise.
  A role naming an object that does not exist is a warning, which fails a strict
  build, as a broken link does.
- A method without a docstring that overrides a documented one (a backend's
  ``get_room``, say) inherits its docstring, as with autodoc.

Python's protocol methods (``__repr__``, ``__enter__``, ...) are left out of the
reference. Which public names must have a docstring is decided where they are
rendered: docs/_templates.
"""

from __future__ import annotations

import ast
import builtins
import importlib
import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:py:)?(?:class|meth|func|attr|mod|data|exc|obj|const):`(?P<target>[^`]+)`")
_EXPLICIT_TITLE = re.compile(r"(?P<title>.+?)\s*<(?P<target>[^<>]+)>\Z", re.DOTALL)
_DOC_COMMENT = re.compile(r"^\s*#:\s?(?P<text>.*)$")
_DUNDER = re.compile(r"__(?!init__)\w+__")
_TRAILING_DOC_COMMENT = re.compile(r"#:\s?(?P<text>.*)$")


class SphinxConventions(griffe.Extension):
    """Doc comments become docstrings; Sphinx roles become links (see the module docstring)."""

    def on_attribute_instance(
        self,
        *,
        node: ast.AST | griffe.ObjectNode,
        attr: griffe.Attribute,
        agent: griffe.Visitor | griffe.Inspector,
        **kwargs: Any,
    ) -> None:
        """Give an attribute without a docstring the text of its ``#:`` comments."""
        if attr.docstring is not None or attr.lineno is None or not isinstance(agent, griffe.Visitor):
            return
        lines = agent.lines_collection[agent.filepath]
        trailing = _TRAILING_DOC_COMMENT.search(lines[attr.lineno - 1])
        if trailing:
            text = [trailing["text"]]
        else:
            text = []
            index = attr.lineno - 2
            while index >= 0 and (comment := _DOC_COMMENT.match(lines[index])):
                text.insert(0, comment["text"])
                index -= 1
        if text:
            attr.docstring = griffe.Docstring("\n".join(text), lineno=attr.lineno, parent=attr)

    def on_package(self, *, pkg: griffe.Module, loader: griffe.GriffeLoader, **kwargs: Any) -> None:
        """Leave out dunder methods, inherit docstrings, and rewrite the Sphinx roles of every docstring."""
        objects = _objects(pkg)
        for obj in objects:
            if obj.is_class:
                _inherit_docstrings(obj, loader)  # type: ignore[arg-type]
                # Python's protocols (__repr__, __enter__, ...) are not listed: what they do is the class's story.
                for name in [name for name in obj.members if _DUNDER.fullmatch(name)]:
                    obj.del_member(name)
        for obj in objects:
            docstring = obj.docstring
            if docstring is not None and ":`" in docstring.value:
                docstring.value = _ROLE.sub(lambda match, obj=obj: _link(obj, match["target"], loader), docstring.value)


def _inherit_docstrings(cls: griffe.Class, loader: griffe.GriffeLoader) -> None:
    """A method that overrides a documented one says what it says, as Sphinx's autodoc has it."""
    try:
        mro = cls.mro()
    except (griffe.AliasResolutionError, griffe.CyclicAliasError, KeyError, ValueError):
        # A base from another of anyvideo's packages, not loaded yet.
        for base in cls.bases:
            package = getattr(base, "canonical_path", str(base)).partition(".")[0]
            if package.startswith("anyvideo") and package not in loader.modules_collection.members:
                loader.load(package)
        try:
            mro = cls.mro()
        except (griffe.AliasResolutionError, griffe.CyclicAliasError, KeyError, ValueError):
            return
    for name, member in cls.members.items():
        if member.is_alias or member.docstring is not None:
            continue
        for base in mro:
            inherited = base.members.get(name)
            if inherited is not None and not inherited.is_alias and inherited.docstring is not None:
                member.docstring = griffe.Docstring(inherited.docstring.value, lineno=member.lineno, parent=member)
                break


def _objects(obj: griffe.Object) -> list[griffe.Object]:
    found = [obj]
    for member in obj.members.values():
        if not member.is_alias:
            found.extend(_objects(member))  # type: ignore[arg-type]
    return found


def _link(obj: griffe.Object, role_target: str, loader: griffe.GriffeLoader) -> str:
    explicit = _EXPLICIT_TITLE.match(role_target)
    if explicit:
        title, target = explicit["title"], explicit["target"].strip()
    else:
        target = role_target.strip()
        short = target.startswith("~")
        target = target.lstrip("~.")
        title = target.rpartition(".")[2] if short else target
    path = _resolve(obj, target, loader)
    if path is None:
        griffe.logger.warning(
            "%s:%s: the docstring of %s refers to %s, which does not exist",
            obj.relative_filepath,
            obj.docstring.lineno if obj.docstring else obj.lineno,
            obj.path,
            target,
        )
        return f"`{title}`"
    return f'<autoref identifier="{path}" optional><code>{title}</code></autoref>'


def _resolve(obj: griffe.Object, target: str, loader: griffe.GriffeLoader) -> str | None:
    """The full path of ``target`` as seen from ``obj``'s scope, if such an object exists."""
    first, _, rest = target.partition(".")
    candidates = []
    scope: griffe.Object | None = obj
    while scope is not None:
        if scope.is_class and first in scope.all_members:  # type: ignore[attr-defined]
            candidates.append(f"{scope.path}.{first}")
        try:
            candidates.append(scope.resolve(first))
        except griffe.NameResolutionError:
            pass
        scope = scope.parent
    candidates.append(first)  # already absolute (a package's name)
    for base in candidates:
        path = f"{base}.{rest}" if rest else base
        if _exists(path, loader):
            return path
    return None


def _exists(path: str, loader: griffe.GriffeLoader) -> bool:
    package = path.partition(".")[0]
    if not package.startswith("anyvideo"):
        return _importable(path)
    collection = loader.modules_collection
    try:
        if package not in collection.members:
            loader.load(package)
        try:
            collection.get_member(path)
        except KeyError:
            # An inherited member: the class has it, though not in its own body.
            owner, _, name = path.rpartition(".")
            cls = collection.get_member(owner)
            if not cls.is_class or name not in cls.all_members:
                return False
    except (KeyError, ImportError, griffe.AliasResolutionError, griffe.CyclicAliasError):
        return False
    return True


def _importable(path: str) -> bool:
    """Whether ``path`` names a builtin, or something importable outside anyvideo (the standard library's, say)."""
    parts = path.split(".")
    if hasattr(builtins, parts[0]):
        obj: object = builtins
    else:
        for end in range(len(parts), 0, -1):
            try:
                obj = importlib.import_module(".".join(parts[:end]))
            except ImportError:
                continue
            parts = parts[end:]
            break
        else:
            return False
    for part in parts:
        if not hasattr(obj, part):
            return False
        obj = getattr(obj, part)
    return True
