"""The Office replaces content/units.yaml (the 2025 reorganisation), played as it
happens: staff chose their old units, a report and a unit deadline keep the old ids;
`content check` says which stored ids the new list lacks; people see names, never
ids; `units migrate` (dry run first) moves every stored id in one go, after which the
unit's deadline reaches its people again. The /nhacnho note follows units.yaml."""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlmodel import col, select

from bot import cli
from bot.app import App, build_app
from bot.reminders import dispatch_now
from bot.settings import load_settings
from handlers import texts
from storage import profiles, reports
from storage import reminders as q
from storage.models import Deadline, OutboxMessage, Report
from tests.conftest import REAL_CONTENT, Talk
from tests.people import person

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NEW_UNITS = {"units": [
    {"id": "vks-tinh", "name": "VKSND tỉnh Tây Ninh"},
    {"id": "van-phong", "name": "Văn phòng VKSND tỉnh", "parent": "vks-tinh"},
    {"id": "vks-kv-1", "name": "VKSND khu vực 1 - Tây Ninh", "parent": "vks-tinh"},
    {"id": "vks-kv-2", "name": "VKSND khu vực 2 - Tây Ninh", "parent": "vks-tinh"}]}


@pytest.fixture(params=["sqlite", "postgres"])
def app(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> App:
    content = tmp_path / "content"
    shutil.copytree(REAL_CONTENT, content)
    database_url = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    settings = load_settings(data_dir=tmp_path / "data", content_dir=content, admin_ids="zalo:cb-vp",
                             database_url=database_url)
    monkeypatch.setattr(cli, "load_settings", lambda: settings)
    return build_app(settings)


def choose_unit(say: Talk, user: str, unit_name: str) -> None:
    say("/nhacnho", user=user)
    [leader] = say(unit_name, user=user)  # the unit typed by its name (the list is paged on a phone)
    assert leader.text.startswith("Đồng chí có phải"), leader.text
    [on] = say("có", user=user)  # leads the unit
    assert on.text.startswith("Đã bật nhắc hạn")


def old_world(app: App, capsys: pytest.CaptureFixture) -> int:
    """Before the new list: "an" works at VKSND huyện Gò Dầu, sent a report, and the
    Office set a deadline for that unit."""
    say = Talk(app)
    choose_unit(say, "an", "VKSND huyện Gò Dầu")
    with app.repo.session() as s:
        user = person(app.repo, "zalo", "an")
        reports.submit(s, reports.NewReport(
            user_id=user.id, channel="zalo", chat_id="an", submitter_name="Nguyễn Văn An",  # type: ignore[arg-type]
            submitter_unit_id="vks-go-dau", subject_kind="self", subject_name="Nguyễn Văn An",
            subject_unit_id="vks-go-dau", criterion="2.1", story="Trực chốt kiểm dịch 30 ngày liền, không nghỉ.",
            happened_on=date(2026, 2, 20), submit_key="k-an"), (), by="zalo:an", tz=TZ)
        s.commit()
    assert cli.main(["deadlines", "add", "--title", "Báo cáo của VKS Gò Dầu", "--due", "2030-12-15 17:00",
                     "--audience", "unit:vks-go-dau", "--offsets", "7"]) == 0
    deadline_id = int(capsys.readouterr().out.strip())
    return deadline_id


def replace_units(app: App, units: dict) -> None:
    (app.settings.content_dir / "units.yaml").write_text(yaml.safe_dump(units, allow_unicode=True), encoding="utf-8")
    app.knowledge.reload()


def stored(app: App) -> tuple[str | None, str | None, str]:
    with app.repo.session() as s:
        user = person(app.repo, "zalo", "an")
        profile = profiles.profile(s, user.id)  # type: ignore[arg-type]
        report = s.exec(select(Report)).one()
        deadline = s.exec(select(Deadline).where(col(Deadline.key).startswith("cli:"))).one()
        return profile.unit_id, report.submitter_unit_id, deadline.audience  # type: ignore[union-attr]


def test_replacing_the_units_check_names_and_migrate(app: App, capsys: pytest.CaptureFixture):
    old_world(app, capsys)
    replace_units(app, NEW_UNITS)

    # content check no longer says OK: it names the stored id and where it is used.
    assert cli.main(["content", "check"]) == 1
    captured = capsys.readouterr()
    assert "content OK" not in captured.out
    assert ("units.yaml: unit 'vks-go-dau' is not in the list but the database holds it (1 profiles, 1 reports, "
            "1 active deadlines); map it to a unit of the list with `python -m bot units migrate --map "
            "vks-go-dau=NEW_ID`") in captured.err

    assert cli.main(["units", "usage"]) == 0
    assert "vks-go-dau  (NOT IN units.yaml): 1 profiles, 1 reports, 1 active deadlines" in capsys.readouterr().out

    # Meanwhile people read a name, never the id.
    say = Talk(app)
    [profile] = say("/hoso", user="an")
    assert "Đơn vị: VKS Go Dau (đơn vị cũ)" in profile.text and "vks-go-dau" not in profile.text

    # A new id that is not in the list, or a chain, is refused and changes nothing.
    assert cli.main(["units", "migrate", "--map", "vks-go-dau=vks-kv-9"]) == 2
    assert "'vks-kv-9' is not in units.yaml" in capsys.readouterr().err
    assert cli.main(["units", "migrate", "--map", "vks-go-dau=vks-kv-1,vks-kv-1=vks-kv-2"]) == 2
    assert "is itself mapped" in capsys.readouterr().err

    # The dry run says what would change and changes nothing.
    assert cli.main(["units", "migrate", "--map", "vks-go-dau=vks-kv-1,vks-ben-cau=vks-kv-1", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "vks-go-dau -> vks-kv-1 (VKSND khu vực 1 - Tây Ninh): 1 profiles, 1 reports, 1 active deadlines" in out
    assert "vks-ben-cau -> vks-kv-1 (VKSND khu vực 1 - Tây Ninh): nothing stored" in out
    assert "dry run: 3 rows would change; nothing was changed" in out
    assert stored(app) == ("vks-go-dau", "vks-go-dau", "unit:vks-go-dau")

    assert cli.main(["units", "migrate", "--map", "vks-go-dau=vks-kv-1,vks-ben-cau=vks-kv-1"]) == 0
    assert "changed 3 rows in one transaction" in capsys.readouterr().out
    assert stored(app) == ("vks-kv-1", "vks-kv-1", "unit:vks-kv-1")
    assert cli.main(["content", "check"]) == 0
    assert "content OK" in capsys.readouterr().out
    [profile] = say("/hoso", user="an")
    assert "Đơn vị: VKSND khu vực 1 - Tây Ninh" in profile.text

    # The unit's deadline reaches its people again.
    result = dispatch_now(app, datetime(2030, 12, 8, 8, 0, tzinfo=TZ))
    assert len(result.queued) == 1
    with app.repo.session() as s:
        row = s.get(OutboxMessage, result.queued[0])
        assert row is not None and row.chat_id == "an" and "Báo cáo của VKS Gò Dầu" in row.payload["reply"]["text"]


def test_a_retired_unit_from_a_mapping_file(app: App, capsys: pytest.CaptureFixture, tmp_path: Path):
    deadline_id = old_world(app, capsys)
    replace_units(app, NEW_UNITS)
    mapping = tmp_path / "map.yaml"
    mapping.write_text("# các đơn vị cũ\nvks-go-dau: null\n", encoding="utf-8")
    assert cli.main(["units", "migrate", "--file", str(mapping)]) == 0
    assert "vks-go-dau -> retired: 1 profiles, 1 reports, 1 active deadlines" in capsys.readouterr().out
    assert stored(app)[:2] == (None, None)
    with app.repo.session() as s:
        assert q.deadline(s, deadline_id).status == "cancelled"  # type: ignore[union-attr]
    assert cli.main(["content", "check"]) == 0
    capsys.readouterr()
    # The person is asked their unit again, from the new list, with no example note (it has none).
    say = Talk(app)
    say("/nhacnho", user="an")  # reminders were on: this turns them off
    [_note, unit] = say("/nhacnho", user="an")
    assert unit.text.startswith(texts.PROFILE_UNIT) and [c.label for c in unit.choices][:4] == [
        u["name"] for u in NEW_UNITS["units"]]
    bad = tmp_path / "bad.yaml"
    bad.write_text("vks-go-dau: [a, b]\n", encoding="utf-8")
    assert cli.main(["units", "migrate", "--file", str(bad)]) == 2
    assert "expected a unit id or null" in capsys.readouterr().err


def test_the_unit_question_follows_the_note_of_units_yaml(app: App):
    shipped_note = app.knowledge.kb.units_note
    assert shipped_note
    say = Talk(app)
    [_note, unit] = say("/nhacnho", user="moi")
    assert unit.text == f"{texts.PROFILE_UNIT}\n({shipped_note})" and "VÍ DỤ" not in unit.text
    replace_units(app, {"note": "Danh sách theo Quyết định 2025.", "units": NEW_UNITS["units"]})
    [_note, unit] = say("/nhacnho", user="khac")
    assert unit.text == f"{texts.PROFILE_UNIT}\n(Danh sách theo Quyết định 2025.)"
    replace_units(app, NEW_UNITS)
    [_note, unit] = say("/nhacnho", user="nua")
    assert unit.text == texts.PROFILE_UNIT
