"""``protocolgen issue``: turn the current drafts into issued versions, dated the day they are issued."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from datetime import date

from ..build import BuildOptions, BuildResult, build
from ..errors import ProtocolgenError
from ..resolve import Job


def issue(options: BuildOptions, when: date | None = None, today: bool = False,
          progress: Callable[[Iterable[Job]], Iterable[Job]] | None = None) -> BuildResult:
    """Issue every current draft (of ``options.only``, if given) as of ``when``; else the area's issue date,
    or the clock's date when ``today`` is asked for (the only place protocolgen reads the clock for a document).

    Refuses, writing nothing, when a document was never built or changed since the last build: what is issued
    is always the draft that was built and could be read."""
    if when is not None and today:
        raise ProtocolgenError("give --date or --today, not both")
    chosen = date.today() if today else when
    return build(dataclasses.replace(options, issue=True, issue_date=chosen), progress)
