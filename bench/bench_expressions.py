"""Time compiling and evaluating expressions: ``python bench/bench_expressions.py``.

Prints microseconds per operation (best of several timeit repeats). No third-party runner.
Compiling is timed twice: a text seen before (a cache hit) and with the cache cleared.
"""

from __future__ import annotations

import timeit
from collections.abc import Callable
from typing import Any

from arazzo_runner.expressions import (
    ExpressionContext,
    Message,
    compile_condition,
    compile_value,
    evaluator,
    parse_expression,
    template,
)

CONDITION = "$statusCode == 200 && $response.body#/status == 'done'"
EXPRESSION = "$steps.login.outputs.pets#/0/id"
TEMPLATE = "Bearer {$steps.login.outputs.token} for {$inputs.user}"

CONTEXT = ExpressionContext(
    status_code=200,
    inputs={"user": "alice"},
    steps={"login": {"token": "tok-1", "pets": [{"id": 7}]}},
    response=Message(headers={"Content-Type": "application/json"}, body={"status": "Done"}),
)


def measure(label: str, operation: Callable[[], Any], number: int) -> float:
    best = min(timeit.repeat(operation, number=number, repeat=5)) / number
    micros = best * 1e6
    print(f"{label:<44} {micros:9.2f} us/op")
    return micros


def cold(cache: Any, text: str) -> Any:
    """Compile ``text`` as if for the first time: compiled texts are kept per process."""
    cache.cache_clear()
    return (compile_condition if cache is condition_cache else compile_value)(text)


condition_cache = evaluator._compile_condition  # private: the benchmark clears them
value_cache = template._compile_string


def main() -> None:
    condition = compile_condition(CONDITION)
    expression = parse_expression(EXPRESSION)
    template = compile_value(TEMPLATE)
    assert condition.evaluate(CONTEXT).passed
    print(f"condition: {CONDITION}")
    measure("compile_condition (text seen before)", lambda: compile_condition(CONDITION), 20_000)
    measure("compile_condition (cache cleared)", lambda: cold(condition_cache, CONDITION), 2_000)
    measure("Condition.evaluate (pass/fail + reason)", lambda: condition.evaluate(CONTEXT), 20_000)
    measure("Condition.test (pass/fail only)", lambda: condition.test(CONTEXT), 100_000)
    measure("parse_expression", lambda: parse_expression(EXPRESSION), 5_000)
    measure("RuntimeExpression.evaluate", lambda: expression.evaluate(CONTEXT), 200_000)
    measure("compile_value (template seen before)", lambda: compile_value(TEMPLATE), 20_000)
    measure("compile_value (template, cache cleared)", lambda: cold(value_cache, TEMPLATE), 5_000)
    measure("CompiledValue.evaluate (template)", lambda: template.evaluate(CONTEXT), 100_000)


if __name__ == "__main__":
    main()
