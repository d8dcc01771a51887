"""The ids of the buttons of the staff profile (handlers/profile/flow.py,
handlers/profile/erasure.py), built and read through their codecs (handlers/choices.py)."""

from __future__ import annotations

from handlers.choices import Codec

PROFILE_EDIT = Codec("p:edit", (str,))  # + full_name | unit | leader | all
PROFILE_DELETE = Codec("p:delete")
