"""The chat features, built together once: each gets the one flow engine that runs all
their forms. Built on first use by the conversation, so answering questions alone
(`python -m bot ask`) never loads them and their storage."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import time
from zoneinfo import ZoneInfo

from content.naming import named
from content.service import Knowledge
from handlers.announcements.flow import Announcements
from handlers.deadlines.flow import Deadlines
from handlers.flows import FlowEngine
from handlers.office.flow import Office
from handlers.profile.erasure import Erasure
from handlers.profile.flow import Profiles
from handlers.reports.flow import Reports
from handlers.reports.review import LinkMaker, Review


@dataclass


class Features:
    office: Office
    deadlines: Deadlines
    announcements: Announcements
    profiles: Profiles
    erasure: Erasure
    reports: Reports
    review: Review
    flows: FlowEngine

    @classmethod
    def build(cls, knowledge: Knowledge, is_admin: Callable[[str, str], bool],
              officers: Callable[[], Iterable[tuple[str, str]]], tz: ZoneInfo, quiet: tuple[time, time],
              invite_code: str | None, max_file_mb: int, make_link: LinkMaker | None) -> Features:
        office = Office(None, officers, is_admin, tz=tz)
        deadlines = Deadlines(knowledge, is_admin, tz, quiet)
        announcements = Announcements(knowledge, is_admin)
        profiles = Profiles(knowledge, invite_code, tz)
        erasure = Erasure(officers)
        reports = Reports(knowledge, profiles, officers, tz, max_file_mb)
        review = Review(reports, is_admin, officers, make_link)
        flows = FlowEngine(office.flows() + deadlines.flows() + announcements.flows() + profiles.flows()
                           + erasure.flows() + reports.flows() + review.flows(), is_officer=is_admin,
                           names=lambda text, options: named(knowledge.matcher.analyzer, text, options))
        for feature in (office, deadlines, announcements, profiles, erasure, reports, review):
            feature.engine = flows
        return cls(office, deadlines, announcements, profiles, erasure, reports, review, flows)
