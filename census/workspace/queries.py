"""Questions every stage asks of a workspace, written once: the district's name, its streets and communities in
register order, and the region register stored with the workspace."""

from __future__ import annotations

from ..config import Register
from .store import Workspace

_REGISTER_KEY = "regions_yaml"


def district_name(ws: Workspace) -> str:
    """The district's name from its register ("" without one)."""
    return ws.scalar("SELECT name FROM regions WHERE level = 'district'") or ""


def streets(ws: Workspace) -> list[str]:
    """The register's streets, in code order."""
    return [n for (n,) in ws.query("SELECT name FROM regions WHERE level = 'street' ORDER BY code")]


def communities(ws: Workspace, street: str | None = None) -> list[str]:
    """The register's communities in code order (of one street when given)."""
    sql = "SELECT name FROM regions WHERE level = 'community'" + (" AND street = ?" if street else "") + " ORDER BY code"
    return [n for (n,) in ws.query(sql, [street] if street else [])]


def register_rows(ws: Workspace) -> list[tuple[str, str, str, str, str | None]]:
    """(street, street code, community, community code, urban-rural type) of every registered community, by code."""
    return ws.query("""SELECT s.name, s.code, c.name, c.code, c.type
                       FROM regions c JOIN regions s ON s.level = 'street' AND s.code = c.parent_code
                       WHERE c.level = 'community' ORDER BY s.code, c.code""")


def register_yaml(ws: Workspace) -> str:
    """The register's YAML text as stored ("" without one)."""
    return ws.get(_REGISTER_KEY, "") or ""


def load_register(ws: Workspace) -> Register:
    """The workspace's register, compiled (an empty `Register` without one)."""
    text = register_yaml(ws)
    return Register.from_yaml(text, "the workspace's region register") if text else Register()


def store_register(ws: Workspace, register: Register) -> None:
    """Keep the district's register in the workspace (replacing an earlier one)."""
    with ws.transaction():
        ws.set(_REGISTER_KEY, register.source_yaml)
        ws.con.execute("DELETE FROM regions")
        ws.con.execute("INSERT INTO regions VALUES ('district', ?, ?, NULL, NULL, NULL)", [register.code, register.name])
        for s in register.streets:
            ws.con.execute("INSERT INTO regions VALUES ('street', ?, ?, ?, NULL, ?)", [s.code, s.name, register.code, s.name])
        for c in register.communities:
            ws.con.execute("INSERT INTO regions VALUES ('community', ?, ?, ?, ?, ?)", [c.code, c.name, c.street.code, c.type, c.street.name])
        ws.bump_data_version()


def insert_issues(ws: Workspace, issues) -> None:
    """Append rows (a frame with the columns of the `issues` table, in order) to the workspace's issues."""
    if not len(issues):
        return
    ws.con.register("_issues", issues)
    try:
        ws.con.execute("INSERT INTO issues SELECT * FROM _issues")
    finally:
        ws.con.unregister("_issues")
