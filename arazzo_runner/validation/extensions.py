"""Semantic rules for our own ``x-`` extensions, so a typo in one fails ``arazzo validate``.

``x-arazzo-stream`` on a step (:mod:`arazzo_runner.streaming.extension`): unknown keys, values that
are not positive numbers, an ``until`` that is not a string or does not parse, and runtime
expressions in ``until`` that name steps, inputs or sources that do not exist.
"""

from __future__ import annotations

from collections.abc import Iterator

from arazzo_runner.diagnostics import Diagnostic
from arazzo_runner.errors import DocumentError, ExpressionError
from arazzo_runner.streaming import STREAM_EXTENSION, stream_spec
from arazzo_runner.validation.context import RuleContext
from arazzo_runner.validation.expressions import Site, check_expression, syntax_diagnostic

__all__ = ["EXTENSION_RULES"]


def stream_extension(ctx: RuleContext) -> Iterator[Diagnostic]:
    """stream-extension (bad settings) and expression-syntax (an ``until`` that does not parse)."""
    for workflow, index, step in ctx.steps():
        if STREAM_EXTENSION not in step.extensions:
            continue
        pointer = f"{step.pointer}/{STREAM_EXTENSION}"
        try:
            spec = stream_spec(step)
        except ExpressionError as exc:
            yield syntax_diagnostic(ctx, exc, pointer + "/until")
            continue
        except DocumentError as exc:
            yield ctx.error("stream-extension", exc.message, pointer, exc.hint)
            continue
        if spec is not None and spec.until is not None:
            site = Site(workflow, index, after_response=True)
            for expression in spec.until.expressions:
                yield from check_expression(ctx, expression, pointer + "/until", site)


EXTENSION_RULES = {"stream-extension": stream_extension}
