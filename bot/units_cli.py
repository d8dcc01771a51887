"""`python -m bot units ...`: the unit ids the database holds, and moving them to a new
content/units.yaml (old ids mapped to new ones, merged or retired) in one transaction."""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

_ID = re.compile(r"[a-z0-9][a-z0-9-]*")
RETIRED = ("", "-")  # `--map old=` or `old=-`; null in a mapping file


def register(sub: argparse._SubParsersAction) -> dict:
    un = sub.add_parser("units", help="unit ids stored in the database, and moving them to a new units.yaml")
    un_sub = un.add_subparsers(dest="action", required=True)
    un_sub.add_parser("usage", help="every unit id the database holds, with its rows; those not in units.yaml marked")
    mig = un_sub.add_parser(
        "migrate", help="map stored unit ids to those of a new units.yaml (merge, rename or retire)",
        description="Replace old unit ids by new ones in profiles, reports, reminder acknowledgements, deadlines "
                    "and announcements, all in one transaction. Several old ids may map to one new id (a merge). "
                    "An old id mapped to nothing (old= or old=-; null in a file) is retired: cleared from "
                    "profiles (the person is asked again), reports and acknowledgements, its deadlines cancelled. "
                    "Every new id must be in units.yaml. Edit units.yaml first, then run this.")
    given = mig.add_mutually_exclusive_group(required=True)
    given.add_argument("--map", metavar="OLD=NEW[,OLD2=NEW2...]", help="e.g. vks-go-dau=vks-kv-3,vks-ben-cau=vks-kv-3")
    given.add_argument("--file", metavar="MAPPING.yaml", type=Path,
                       help="a YAML mapping of old id to new id (null: retired), e.g. `vks-go-dau: vks-kv-3`")
    mig.add_argument("--dry-run", action="store_true", help="print what would change, change nothing")
    return {"units": _cmd_units}


def parse_map(text: str) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        old, sep, new = part.partition("=")
        if not sep:
            raise ValueError(f"{part!r}: expected OLD=NEW")
        _add(out, old.strip(), new.strip())
    return out


def read_file(path: Path) -> dict[str, str | None]:
    from content.yaml_reader import yaml_load

    try:
        data = yaml_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except Exception as exc:  # noqa: BLE001 - a YAML error, said in one line
        raise ValueError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(data, dict) or not data:
        raise ValueError(f"{path}: expected a mapping of old unit id to new unit id, e.g. `vks-go-dau: vks-kv-3`")
    out: dict[str, str | None] = {}
    for old, new in data.items():
        if new is not None and not isinstance(new, str):
            raise ValueError(f"{path}: {old}: expected a unit id or null, got {new!r}")
        _add(out, str(old).strip(), (new or "").strip())
    return out


def _add(out: dict[str, str | None], old: str, new: str) -> None:
    if not _ID.fullmatch(old):
        raise ValueError(f"{old!r}: not a unit id")
    if old in out:
        raise ValueError(f"{old}: mapped twice")
    if new not in RETIRED and not _ID.fullmatch(new):
        raise ValueError(f"{old}={new}: {new!r} is not a unit id")
    out[old] = None if new in RETIRED else new


def check_mapping(mapping: dict[str, str | None], known: set[str]) -> list[str]:
    problems = []
    for old, new in mapping.items():
        if new is None:
            continue
        if new == old:
            problems.append(f"{old}={new}: maps to itself")
        elif new not in known:
            problems.append(f"{old}={new}: {new!r} is not in units.yaml (edit units.yaml first)")
        elif new in mapping:
            problems.append(f"{old}={new}: {new!r} is itself mapped; map {old} to the final id")
    return problems


def counts_text(rows: Counter) -> str:
    shown = [f"{n} {kind}" for kind, n in rows.items() if n]
    return ", ".join(shown) or "nothing stored"


def _cmd_units(settings, args) -> int:  # noqa: ANN001
    from content.loader import load
    from storage import db
    from storage import units as su

    kb = load(settings.content_dir)
    known = {u.id for u in kb.units}
    if args.action == "migrate":
        try:
            mapping = parse_map(args.map) if args.map is not None else read_file(args.file)
        except ValueError as exc:
            print(exc, file=sys.stderr)
            return 2
        if not mapping:
            print("--map: no OLD=NEW pair given", file=sys.stderr)
            return 2
        problems = check_mapping(mapping, known)
        if problems:
            print("\n".join(problems), file=sys.stderr)
            return 2
    db.upgrade(settings.db_url)
    engine = db.make_engine(settings.db_url)
    try:
        from sqlmodel import Session

        with Session(engine) as s:
            if args.action == "usage":
                used = su.usage(s)
                if not used:
                    print("no unit id is stored")
                for unit_id, rows in sorted(used.items()):
                    where = kb.unit_name(unit_id) if unit_id in known else "NOT IN units.yaml"
                    print(f"{unit_id}  ({where}): {counts_text(rows)}")
                return 0
            changes = su.migrate(s, mapping)
            for c in changes:
                target = f"{c.new} ({kb.unit_name(c.new)})" if c.new else "retired"
                print(f"{c.old} -> {target}: {counts_text(c.rows)}")
            left = sorted(u for u in su.usage(s) if u not in known)
            total = sum(sum(c.rows.values()) for c in changes)
            if args.dry_run:
                s.rollback()
                print(f"dry run: {total} rows would change; nothing was changed")
            else:
                s.commit()
                print(f"changed {total} rows in one transaction")
            if left and known:
                print(f"still not in units.yaml: {', '.join(left)}")
    finally:
        engine.dispose()
    return 0


def stored_unit_problems(settings, kb) -> list[str]:  # noqa: ANN001
    """For `content check`: unit ids the database still holds that units.yaml no longer
    lists. Nothing when there is no units.yaml or no database yet (a fresh install);
    a database that cannot be read is left to the commands that need it."""
    if not kb.units:
        return []
    if not settings.database_url and not (settings.data_dir / "bot.sqlite3").exists():
        return []
    from sqlalchemy.exc import SQLAlchemyError
    from sqlmodel import Session

    from storage import db
    from storage import units as su

    known = {u.id for u in kb.units}
    # A check of the YAML must not hang on a database host that does not answer.
    engine = db.make_engine(settings.db_url, **({} if settings.db_url.startswith("sqlite") else
                                                {"connect_args": {"connect_timeout": 5}}))
    try:
        with Session(engine) as s:
            used = su.usage(s)
    except SQLAlchemyError:
        return []
    finally:
        engine.dispose()
    return [f"units.yaml: unit {unit_id!r} is not in the list but the database holds it ({counts_text(rows)}); "
            f"map it to a unit of the list with `python -m bot units migrate --map {unit_id}=NEW_ID` (--dry-run first)"
            for unit_id, rows in sorted(used.items()) if unit_id not in known]
