"""Ordering rules of a learning path, as pure functions over module ids.

Every module gets a sort key (smaller first): assigned courses lead (overdue first, then by due
date), then the largest predicted gap below the pass mark, then modules predicted at or above it.
A prerequisite inherits the most urgent key of anything that needs it, and the final order is a
topological one: no module appears before a prerequisite still on the path.
"""

from __future__ import annotations

import heapq

OVERDUE, ASSIGNED, GAP, TEST_OUT = 0, 1, 2, 3
FAR_FUTURE = float("inf")


def module_key(
    *, assigned: bool, overdue: bool, due_ts: float | None, gap: float, test_out: bool
) -> tuple:
    """Sort key of one module before prerequisites are taken into account."""
    if assigned:
        return (
            OVERDUE if overdue else ASSIGNED,
            due_ts if due_ts is not None else FAR_FUTURE,
            -gap,
        )
    return (TEST_OUT if test_out else GAP, 0.0, -gap)


def prerequisite_closure(
    candidates: set[int], prerequisites: dict[int, list[int]], done: set[int]
) -> set[int]:
    """The candidates plus every prerequisite (transitively, across courses) not yet passed."""
    result, stack = set(), list(candidates)
    while stack:
        module_id = stack.pop()
        if module_id in result or module_id in done:
            continue
        result.add(module_id)
        stack.extend(prerequisites.get(module_id, ()))
    return result


def inherit_urgency(
    keys: dict[int, tuple], prerequisites: dict[int, list[int]]
) -> dict[int, tuple]:
    """A prerequisite is as urgent as the most urgent module needing it (cycle-safe fixed point)."""
    effective = dict(keys)
    changed = True
    while changed:
        changed = False
        for module_id, required in prerequisites.items():
            if module_id not in effective:
                continue
            for req in required:
                if req in effective and effective[module_id] < effective[req]:
                    effective[req] = effective[module_id]
                    changed = True
    return effective


def topological_order(
    keys: dict[int, tuple], prerequisites: dict[int, list[int]], tiebreak
) -> list[int]:
    """Kahn's algorithm taking the most urgent available module each time; a cycle in bad data is
    broken by the most urgent remaining module rather than dropping anything."""
    waiting = {m: {r for r in prerequisites.get(m, ()) if r in keys and r != m} for m in keys}
    needed_by: dict[int, list[int]] = {}
    for module_id, required in waiting.items():
        for req in required:
            needed_by.setdefault(req, []).append(module_id)
    heap = [(keys[m], tiebreak(m), m) for m, req in waiting.items() if not req]
    heapq.heapify(heap)
    order, placed = [], set()
    while len(order) < len(keys):
        if not heap:  # a cycle: release the most urgent remaining module
            m = min((m for m in keys if m not in placed), key=lambda m: (keys[m], tiebreak(m)))
            heap.append((keys[m], tiebreak(m), m))
        _, _, module_id = heapq.heappop(heap)
        if module_id in placed:
            continue
        placed.add(module_id)
        order.append(module_id)
        for dependent in needed_by.get(module_id, ()):
            waiting[dependent].discard(module_id)
            if not waiting[dependent] and dependent not in placed:
                heapq.heappush(heap, (keys[dependent], tiebreak(dependent), dependent))
    return order
