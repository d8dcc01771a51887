"""The order rule of the outbox: which unsent rows of a chat hold its later rows back.

Shared by the turn, which asks whether a chat has an older message waiting
(storage/turns.py), and the delivery worker, which claims rows only in order
(storage/outbox.py); apart from both so that neither imports the other for it.
"""

from __future__ import annotations

from sqlalchemy import and_, or_

UNSENT = ("pending", "sending")


def holds(earlier, now):  # noqa: ANN001, ANN201 - a table's columns or an aliased OutboxMessage
    """Whether an unsent row keeps the later rows of its chat waiting: one being sent,
    one due now, or one already tried (a retry after a failure must keep its place).
    A row deferred to later and never tried (a reminder held for the morning by quiet
    hours) does not: the conversation goes on meanwhile."""
    return and_(earlier.status.in_(UNSENT),
                or_(earlier.status == "sending", earlier.not_before <= now, earlier.last_error.is_not(None)))
