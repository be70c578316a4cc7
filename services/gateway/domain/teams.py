"""The sales-group tree: who is beneath whom, and which moves would break the tree."""

from collections.abc import Mapping
from typing import TypeVar

K = TypeVar("K")


def subtree(root: K, parents: Mapping[K, K | None]) -> set[K]:
    """`root` and every group beneath it, given each group's parent."""
    children: dict[K, list[K]] = {}
    for child, parent in parents.items():
        if parent is not None:
            children.setdefault(parent, []).append(child)
    found, stack = {root}, [root]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def creates_cycle(team: K, new_parent: K, parents: Mapping[K, K | None]) -> bool:
    """True when hanging `team` under `new_parent` would make a group its own ancestor."""
    return new_parent in subtree(team, parents)
