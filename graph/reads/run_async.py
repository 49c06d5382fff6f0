"""Run read plans (:mod:`graph.reads.plan`) over the async driver, with a server-side timeout;
their compute steps run in the compute thread (:mod:`graph.reads.compute_thread`)."""

from __future__ import annotations

from typing import Any, TypeVar, cast

from neo4j import READ_ACCESS, AsyncDriver, Query
from neo4j import exceptions as neo4j_exc

from graph.db import timeouts
from graph.errors import GraphTimeout, translated
from graph.reads.compute_thread import off_loop
from graph.reads.plan import Compute, Plan

__all__ = ["read_async", "run_async"]

T = TypeVar("T")


async def read_async(
    driver: AsyncDriver, statement: str, params: dict[str, Any], database: str | None, timeout_s: float | None
) -> list[Any]:
    """Run one read statement; a statement that runs longer than ``timeout_s`` raises GraphTimeout.

    An auto-commit read (one round trip), like :func:`graph.reads.plan.run` over the sync driver.
    """
    if timeout_s is None:
        timeout_s = timeouts(driver).read_s  # never unbounded
    query = Query(statement, timeout=timeout_s)
    with translated():
        try:
            async with driver.session(database=database, default_access_mode=READ_ACCESS) as session:
                result = await session.run(query, params)
                return [record async for record in result]
        except neo4j_exc.ClientError as exc:
            if "TransactionTimedOut" in (exc.code or ""):
                raise GraphTimeout(f"the graph query ran longer than {timeout_s}s") from exc
            raise


async def run_async(
    driver: AsyncDriver, plan: Plan[T], *, database: str | None, timeout_s: float | None = None
) -> T:
    """Drive a plan over the async driver (the same plans the sync reads run); its compute steps run
    in the compute thread (with the caller's context, so its deadline stops them)."""
    try:
        step = next(plan)
        while True:
            if isinstance(step, Compute):
                step = plan.send(await off_loop(step))
            else:
                step = plan.send(await read_async(driver, step.statement, step.params, database, timeout_s))
    except StopIteration as done:
        return cast(T, done.value)
