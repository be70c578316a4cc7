"""Who may read and edit a folder: its readers and editors are principals, written as text.

A principal is `everyone`, `user:<id>`, `team:<id>` (the sales group and the groups below it)
or `department:<id>`. A person stands for their own principals: themselves, their department,
the groups they belong to (their group and every group above it) and, for a head, every group
they lead (the subtree). Editors may also read; the administrator may do everything.
"""

from collections.abc import Iterable, Mapping

EVERYONE = "everyone"
KINDS = ("user", "team", "department")


def principal(kind: str, id_: object) -> str:
    return f"{kind}:{id_}"


def parse_principal(text: str) -> tuple[str, str | None]:
    """(`everyone`, None) or (kind, id); ValueError when it is neither."""
    if text == EVERYONE:
        return EVERYONE, None
    kind, _, id_ = text.partition(":")
    if kind not in KINDS or not id_:
        raise ValueError(f"not a principal: {text!r}")
    return kind, id_


def groups_of(team_ids: Iterable[str], parents: Mapping[str, str | None]) -> set[str]:
    """`team_ids` (a head's subtree, a manager's group) and every group above them."""
    found: set[str] = set()
    for team in team_ids:
        current: str | None = team
        while current is not None and current not in found:
            found.add(current)
            current = parents.get(current)
    return found


def principals_of(*, user_id: str, groups: Iterable[str], department_id: str | None) -> list[str]:
    """Everything a person stands for when a folder names its readers and editors."""
    mine = [EVERYONE, principal("user", user_id)]
    mine += [principal("team", team) for team in sorted(groups)]
    if department_id:
        mine.append(principal("department", department_id))
    return mine


def subtree(team: str, parents: Mapping[str, str | None]) -> set[str]:
    """The group and every group below it."""
    below = {team}
    grew = True
    while grew:
        grew = False
        for child, parent in parents.items():
            if parent in below and child not in below:
                below.add(child)
                grew = True
    return below


def team_ids_of(role: str, team_id: str | None, parents: Mapping[str, str | None]) -> set[str]:
    """The groups a person's identity names: a head's whole subtree, anyone else's own group."""
    if team_id is None:
        return set()
    return subtree(team_id, parents) if role == "head" else {team_id}


def among(mine: Iterable[str], named: Iterable[str]) -> bool:
    """Whether a person (by their principals) is among those a list names."""
    return not set(mine).isdisjoint(named)
