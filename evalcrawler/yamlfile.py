"""Load YAML files into typed models, with errors that name the file, the line and the key.

Region registries and rubrics are edited by hand, so a mistake must be reported where it is:
``Error: rubrics/x.yaml:42: indicators[3].points: must be > 0``. The YAML is read with
``yaml.safe_load`` semantics; a second pass over the node tree records the line of every key
and list item so that pydantic's error locations can be turned into line numbers.
"""

from __future__ import annotations

from difflib import get_close_matches
from pathlib import Path
from typing import Any, TypeVar, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from evalcrawler.errors import EvalcrawlError

M = TypeVar("M", bound=BaseModel)

Loc = tuple[str | int, ...]


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one mapping (YAML silently keeps the last)."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)


MAX_ALIASES = 100  # alias references (*name) a region or rubric file may make
MAX_VALUES = 100_000  # values the file holds once its aliases are expanded


def _check_aliases(root: yaml.Node, label: str, error_cls: type[EvalcrawlError]) -> None:
    """Refuse alias bombs: a few kilobytes of anchors and aliases (``&a [*b, *b, …]``) expand
    to billions of values once validated, so the expanded size is counted first, each node
    once (a memo by identity), without expanding anything."""
    size: dict[int, int] = {}  # node → values once expanded; -1 while its children are counted
    refs: dict[int, int] = {id(root): 1}
    aliases = 0
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            size[key] = 1 + sum(size[id(child)] for _, child in _children(node))
            if size[key] > MAX_VALUES:
                raise error_cls(
                    f"{label}:{node.start_mark.line + 1}: YAML aliases expand to more than "
                    f"{MAX_VALUES:,} values; write the values out instead of aliasing them"
                )
            continue
        if key in size:
            continue
        size[key] = -1
        stack.append((node, True))
        for line, child in _children(node):
            if size.get(id(child)) == -1:
                raise error_cls(
                    f"{label}:{line}: a YAML alias refers to a value that contains it; "
                    "write the values out"
                )
            refs[id(child)] = refs.get(id(child), 0) + 1
            if refs[id(child)] > 1:
                aliases += 1
                if aliases > MAX_ALIASES:
                    raise error_cls(
                        f"{label}:{line}: more than {MAX_ALIASES} YAML aliases (*name); write "
                        "the values out instead"
                    )
            if id(child) not in size:
                stack.append((child, False))


def _children(node: yaml.Node) -> list[tuple[int, yaml.Node]]:
    """A node's children, each with the line where it is used (an alias's own line is not
    kept by the parser: the line of its key, or of its sequence)."""
    if isinstance(node, yaml.MappingNode):
        out: list[tuple[int, yaml.Node]] = []
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            out += [(line, key_node), (line, value_node)]
        return out
    if isinstance(node, yaml.SequenceNode):
        return [(node.start_mark.line + 1, child) for child in node.value]
    return []


def _line_map(node: yaml.Node, loc: Loc = (), out: dict[Loc, int] | None = None) -> dict[Loc, int]:
    """Map every key path (as pydantic writes locations) to its 1-based line.

    An aliased value is mapped where it is written, not again at each alias."""
    if out is None:
        out = {}
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, Loc]] = [(node, loc)]
    while stack:
        current, where = stack.pop()
        out.setdefault(where, current.start_mark.line + 1)
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, yaml.MappingNode):
            for key_node, value_node in current.value:
                key = key_node.value
                out[(*where, key)] = key_node.start_mark.line + 1
                stack.append((value_node, (*where, key)))
        elif isinstance(current, yaml.SequenceNode):
            for index, item in enumerate(current.value):
                # An alias names a value written earlier: its line is the sequence's.
                alias = item.start_mark.index < current.start_mark.index
                out[(*where, index)] = (current if alias else item).start_mark.line + 1
                stack.append((item, (*where, index)))
    return out


def format_loc(loc: Loc) -> str:
    """``("indicators", 3, "points")`` → ``indicators[3].points``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text or "(top level)"


def line_of(lines: dict[Loc, int], loc: Loc) -> int:
    """The line of ``loc``, or of its nearest ancestor that is in the file."""
    loc = tuple(loc)
    while loc not in lines and loc:
        loc = loc[:-1]
    return lines.get(loc, 1)


class LoadedYaml:
    """Parsed YAML data plus the line of every key path, for error messages."""

    def __init__(self, data: Any, lines: dict[Loc, int], label: str) -> None:
        self.data = data
        self.lines = lines
        self.label = label

    def error(self, error_cls: type[EvalcrawlError], loc: Loc, message: str) -> EvalcrawlError:
        return error_cls(f"{self.label}:{line_of(self.lines, loc)}: {format_loc(loc)}: {message}")


def read_yaml(path: Path, error_cls: type[EvalcrawlError], label: str | None = None) -> LoadedYaml:
    """Read and parse a YAML file; syntax errors become ``error_cls`` with file and line."""
    label = label or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error_cls(f"{label}: no such file; check the path") from None
    except UnicodeDecodeError as exc:
        raise error_cls(f"{label}: not UTF-8 text ({exc.reason}); save the file as UTF-8") from None
    except OSError as exc:
        raise error_cls(f"{label}: cannot read: {exc.strerror}") from None
    return parse_yaml(text, error_cls, label)


def parse_yaml(text: str, error_cls: type[EvalcrawlError], label: str) -> LoadedYaml:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        if node is not None:
            _check_aliases(node, label, error_cls)
        data = yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        problem = exc.problem or exc.context or "invalid YAML"
        raise error_cls(f"{label}:{line}: invalid YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise error_cls(f"{label}: invalid YAML: {exc}") from None
    if node is None:
        raise error_cls(f"{label}:1: the file is empty")
    return LoadedYaml(data, _line_map(node), label)


MAX_REPORTED = 10  # problems listed in one error message


def validate(loaded: LoadedYaml, model: type[M], error_cls: type[EvalcrawlError]) -> M:
    """Validate ``loaded.data`` with ``model``. Every problem is reported in one line: the
    first with its line and key, then ``; also line N: key: problem`` for each other one; an
    unknown key gets the nearest known one suggested (``did you mean 'max_pages'?``)."""
    if not isinstance(loaded.data, dict):
        raise error_cls(f"{loaded.label}:1: expected a mapping of keys at the top level")
    try:
        return model.model_validate(loaded.data)
    except ValidationError as exc:
        problems: list[tuple[Loc, str]] = []
        for error in exc.errors():
            if any(_is_union_tag(p) for p in error["loc"]) and problems:
                continue  # another member of a union refusing the same value: noise
            loc = tuple(p for p in error["loc"] if not _is_union_tag(p))
            problem = (loc, _message(error, model))
            if problem not in problems:
                problems.append(problem)
        # In the order of the file (a missing key is reported at its mapping's line).
        problems.sort(key=lambda problem: line_of(loaded.lines, problem[0]))
        (loc, message), others = problems[0], problems[1:]
        first = loaded.error(error_cls, loc, message).message
        also = [
            f"; also line {line_of(loaded.lines, where)}: {format_loc(where)}: {what}"
            for where, what in others[: MAX_REPORTED - 1]
        ]
        more = len(others) - len(also)
        tail = f"; and {more} more" if more > 0 else ""
        raise error_cls(first + "".join(also) + tail) from None


def _is_union_tag(part: Any) -> bool:
    # pydantic inserts the union member's name ("function-after[...]", "Presence") in locs.
    return isinstance(part, str) and ("[" in part or part[:1].isupper())


def _message(error: Any, model: type[BaseModel] | None = None) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "extra_forbidden":
        text = "unknown key; check the spelling against the documentation"
        loc = tuple(p for p in error["loc"] if not _is_union_tag(p))
        known = _known_keys(model, loc[:-1]) if model is not None else []
        close = get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6) if loc else []
        return f"{text}; did you mean {close[0]!r}?" if close else text
    if kind == "missing":
        return "required key is missing"
    if kind == "greater_than":
        return f"must be > {ctx.get('gt')}"
    if kind == "greater_than_equal":
        return f"must be >= {ctx.get('ge')}"
    if kind == "less_than_equal":
        return f"must be <= {ctx.get('le')}"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected')}"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    if kind == "string_pattern_mismatch":
        return f"does not match {ctx.get('pattern')}"
    msg = str(error["msg"])
    return msg[:1].lower() + msg[1:]


def _known_keys(model: type[BaseModel], loc: Loc) -> list[str]:
    """The keys the model at ``loc`` (a path into ``model``'s data) accepts, by their names
    in the file (aliases); [] where the path leaves the models."""
    current: type[BaseModel] | None = model
    key_next = False  # the next part is a key of a dict, not a field
    for part in loc:
        if current is None:
            return []
        if isinstance(part, int) or key_next:
            key_next = False
            continue
        field = next(
            (f for name, f in current.model_fields.items() if (f.alias or name) == part), None
        )
        if field is None:
            return []
        key_next = get_origin(field.annotation) is dict or _is_dict(field.annotation)
        current = _inner_model(field.annotation)
    if current is None:
        return []
    return [f.alias or name for name, f in current.model_fields.items()]


def _is_dict(annotation: Any) -> bool:
    return any(get_origin(arg) is dict for arg in get_args(annotation))


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    """The model an annotation holds: itself, or inside a list, dict or optional."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None
