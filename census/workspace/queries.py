"""Questions every stage asks of a workspace, written once: the district's name, its streets and communities in
register order, and the region register stored with the workspace.

A workspace is one district's (its register under `regions_yaml`), or the workspaces of several districts merged
into one (`census merge`: each district's register under `regions_yaml:<code>`, `merged` set); the regions table
holds every district's streets and communities either way."""

from __future__ import annotations

from ..config import Register
from ..config.regions import city_name
from .store import Workspace

_REGISTER_KEY = "regions_yaml"
MERGED_KEY = "merged"  # set in a workspace made by merging districts' workspaces
NAME_KEY = "merged_name"  # the name a merged workspace's tables carry (`census merge --name`)


def districts(ws: Workspace) -> list[tuple[str, str]]:
    """(code, name) of the districts of the workspace's register(s), by code."""
    return [(c, n) for c, n in ws.query("SELECT code, name FROM regions WHERE level = 'district' ORDER BY code")]


def is_merged(ws: Workspace) -> bool:
    return ws.get(MERGED_KEY) == "1"


def district_name(ws: Workspace) -> str:
    """The district's name from its register ("" without one). Of several districts (a merged workspace): the
    name given to the merge, else their city's when they lie in one, else the districts listed (玄武区、秦淮区)."""
    found = districts(ws)
    if len(found) <= 1:
        return found[0][1] if found else ""
    given = ws.get(NAME_KEY)
    if given:
        return given
    cities = {city_name(code) for code, _name in found}
    if len(cities) == 1 and "" not in cities:
        return cities.pop()
    return "、".join(name for _code, name in found)


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
    """The register's YAML text as stored ("" without one, and in a merged workspace)."""
    return ws.get(_REGISTER_KEY, "") or ""


def district_registers(ws: Workspace) -> dict[str, str]:
    """District code → its register's YAML text: the one register of a district's workspace, or each district's
    of a merged one."""
    out = {k.split(":", 1)[1]: v for k, v in ws.query(
        "SELECT key, value FROM meta WHERE key LIKE ? ORDER BY key", [_REGISTER_KEY + ":%"]) if v}
    text = register_yaml(ws)
    if text:
        code = ws.scalar("SELECT code FROM regions WHERE level = 'district' LIMIT 1") or ""
        out.setdefault(code, text)
    return out


def store_district_register(ws: Workspace, code: str, text: str) -> None:
    """Keep one district's register in a merged workspace (replacing that district's earlier one), inside the
    caller's transaction."""
    ws.set(f"{_REGISTER_KEY}:{code}", text)


def load_register(ws: Workspace) -> Register:
    """The workspace's register, compiled (an empty `Register` without one); of a merged workspace, its districts'
    registers as one."""
    texts = list(district_registers(ws).values())
    return Register.combine(texts, "the workspace's region register") if texts else Register()


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
        # the files read so far are of this district (a workspace holds one district, unless merged)
        ws.con.execute("UPDATE sources SET district_code = ?, district = ?", [register.code, register.name])
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
