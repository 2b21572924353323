"""AST of the simple-condition language. Every node is frozen and keeps its source text.

``start``/``end`` are offsets into the condition text, so a validator can point at a node.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TypeAlias

from arazzo_runner.expressions.runtime import RuntimeExpression

__all__ = ["And", "Compare", "Group", "Literal", "Node", "Not", "Operand", "Or", "walk"]


@dataclass(frozen=True)
class Literal:
    """``true false null``, a number or a string. ``dialect`` is ``"double-quoted"`` for
    ``"text"`` (not a literal in the spec; accepted so a validator can warn)."""

    value: Any
    source: str
    start: int
    end: int
    dialect: str | None = None


@dataclass(frozen=True)
class Operand:
    """A runtime expression plus ``.member`` (str) / ``[n]`` (int) navigation steps."""

    expression: RuntimeExpression
    navigation: tuple[str | int, ...]
    source: str
    start: int
    end: int


@dataclass(frozen=True)
class Not:
    operand: Node
    source: str
    start: int
    end: int


@dataclass(frozen=True)
class Compare:
    """``left op right``; ``op`` is one of ``== != < <= > >=``."""

    op: str
    left: Literal | Operand
    right: Literal | Operand
    source: str
    start: int
    end: int


@dataclass(frozen=True)
class And:
    """All ``operands`` (two or more; chains are flattened, so evaluation does not recurse)."""

    operands: tuple[Node, ...]
    source: str
    start: int
    end: int


@dataclass(frozen=True)
class Or:
    """Any of ``operands`` (two or more, flattened like :class:`And`)."""

    operands: tuple[Node, ...]
    source: str
    start: int
    end: int


@dataclass(frozen=True)
class Group:
    """A parenthesised expression; kept so a ``(a || b) || c`` prints as written."""

    inner: Node
    source: str
    start: int
    end: int


Node: TypeAlias = "Literal | Operand | Not | Compare | And | Or | Group"


def children(node: Node) -> tuple[Node, ...]:
    """The direct sub-nodes of ``node``."""
    if isinstance(node, (And, Or)):
        return node.operands
    if isinstance(node, Compare):
        return (node.left, node.right)
    if isinstance(node, Not):
        return (node.operand,)
    if isinstance(node, Group):
        return (node.inner,)
    return ()


def walk(node: Node) -> Iterator[Node]:
    """``node`` and all its descendants, depth first, in source order (no recursion)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(children(current)))
