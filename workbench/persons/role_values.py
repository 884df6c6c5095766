"""Value evidence for column roles: what a sample of a column's values says about the role it plays.

Values are tested for postcodes, PNC IDs, URNs, dates of birth, sex codes, names, emails and
uniqueness.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd

from workbench.analysis.headlines import missing
from workbench.data.dates import DATE_FORMATS, TIMESTAMP_FORMATS
from workbench.persons.roles import Role

PLACEHOLDER_TEXT_SET = frozenset(
    {"NOT ENTERED", "NOT KNOWN", "UNKNOWN", "N/A", "NA", "NONE", "NULL", "-", "?", "XXX"}
)


_FIRST_NAMES = frozenset(
    re.findall(
        r"[A-Z']+",
        """
    JOHN DAVID MICHAEL PAUL ANDREW JAMES PETER ROBERT MARK RICHARD STEPHEN WILLIAM THOMAS
    CHRISTOPHER DANIEL MATTHEW ANTHONY GEORGE IAN SIMON KEVIN GARY STEVEN JASON LEE CRAIG DARREN
    ADAM BEN BENJAMIN JACK JOSHUA LUKE RYAN SAMUEL JOSEPH HARRY CHARLIE OLIVER JACOB ALFIE NOAH
    LEO OSCAR ARTHUR HENRY EDWARD CHARLES FREDERICK ALBERT ALEXANDER LIAM CONNOR KYLE DEAN SCOTT
    NATHAN JORDAN CALLUM LEWIS JAKE DYLAN MOHAMMED MUHAMMAD ALI AHMED OMAR HASSAN IBRAHIM ROBERTO
    MARY SARAH EMMA LAURA LISA CLAIRE KAREN SUSAN HELEN JULIE NICOLA RACHEL AMANDA JANE ELIZABETH
    MARGARET PATRICIA LINDA BARBARA JENNIFER ANNE ANN JESSICA SOPHIE CHLOE EMILY OLIVIA AMELIA
    ISLA AVA MIA GRACE LILY ELLA RUBY HANNAH LUCY KATIE AMY REBECCA CHARLOTTE GEORGIA MEGAN LAUREN
    JADE SAMANTHA GEMMA DONNA TRACY TRACEY KELLY VICTORIA ALICE FLORENCE EVIE POPPY ISABELLA
    FATIMA AISHA ZARA MARIA ANNA CATHERINE KATHERINE JOAN DOROTHY JOYCE SHEILA PAULINE CAROL
    DEBORAH ANGELA JOANNE LOUISE STACEY DANIELLE NATALIE ZOE KIRSTY HAYLEY SOPHIA ISABEL MARIE
    FRANCIS HUGH WALTER ERNEST HAROLD EDWIN ARCHIBALD ISAAC JONATHAN TIMOTHY PHILIP NICHOLAS
    """,
    ),
)

_SURNAMES = frozenset(
    re.findall(
        r"[A-Z']+",
        """
    SMITH JONES WILLIAMS TAYLOR BROWN DAVIES EVANS WILSON THOMAS JOHNSON ROBERTS ROBINSON
    THOMPSON WRIGHT WALKER WHITE EDWARDS HUGHES GREEN HALL LEWIS HARRIS CLARKE PATEL JACKSON WOOD
    TURNER MARTIN COOPER HILL WARD MORRIS MOORE CLARK LEE KING BAKER HARRISON MORGAN ALLEN JAMES
    SCOTT PHILLIPS WATSON DAVIS PARKER PRICE BENNETT YOUNG GRIFFITHS MITCHELL KELLY COOK CARTER
    RICHARDSON BAILEY COLLINS BELL SHAW MURPHY MILLER COX RICHARDS KHAN MARSHALL ANDERSON SIMPSON
    ELLIS ADAMS SINGH BEGUM WILKINSON FOSTER CHAPMAN POWELL WEBB ROGERS GRAY MASON ALI HUNT
    HUSSAIN CAMPBELL MATTHEWS OWEN PALMER HOLMES MILLS BARNES KNIGHT LLOYD BUTLER RUSSELL BARKER
    FISHER STEVENS JENKINS MURRAY DIXON HARVEY GRAHAM PEARSON AHMED FLETCHER WALSH KAUR GIBSON
    HOWARD ANDREWS STEWART ELLIOTT REYNOLDS SAUNDERS PAYNE FOX FORD PEARCE DAY BROOKS WEST
    LAWRENCE COLE ATKINSON BRADLEY SPENCER GILL DAWSON BALL BURTON O'BRIEN WATTS ROSE BOOTH PERRY
    RYAN GRANT WELLS ARMSTRONG FRANCIS REES HAYES HART HUDSON NEWMAN BARRETT WEBSTER HUNTER
    GREGORY CARR LOWE PAGE MARSH RILEY DUNN WOODS STONE PARSONS MCDONALD MACDONALD HERBERT CROSS
    """,
    ),
)

_POSTCODE_RE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$")
_PNC_RE = re.compile(r"^\d{2,4}/\d{1,7}[A-Z]$")
_URN_RE = re.compile(r"^\d{2}[A-Z]{2}\d{5,9}$")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_INT_RE = re.compile(r"^-?\d+$")
_WORD_RE = re.compile(r"^[A-Za-z][A-Za-z'’\-]*$")
_MULTIWORD_RE = re.compile(r"^[A-Za-z][A-Za-z'’\-.]*((,\s*|\s+)[A-Za-z][A-Za-z'’\-.]*){1,4}$")
_ADDRESS_RE = re.compile(r"^(\d+[A-Za-z]?|flat|apartment)\b.*[A-Za-z]{3}", re.IGNORECASE)
_SEX_VALUES = frozenset({"M", "F", "MALE", "FEMALE", "U", "UNKNOWN", "X", "NOT KNOWN"})
_DATE_FORMATS = (*DATE_FORMATS, *TIMESTAMP_FORMATS)


#: Text that could be a date: digits and separators, or a day, a month name and a year.
_DATE_SHAPE = re.compile(
    r"^(\d{1,4}[-/. ]\d{1,2}[-/. ]\d{1,4}([ T].*)?|\d{8}|\d{1,2}[- ][A-Za-z]{3,9}[- ]\d{4})$"
)


def _parse_date(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.date()
    text = str(value).strip()
    if not text or not _DATE_SHAPE.match(text):
        return None
    for fmt in _DATE_FORMATS:
        try:
            parsed = datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        if fmt.endswith("%y") and parsed > date.today():
            parsed = parsed.replace(year=parsed.year - 100)
        return parsed
    return None


@dataclass
class _ValueStats:
    n: int = 0
    unique: float = 0.0
    distinct: int = 0
    postcode: float = 0.0
    pnc: float = 0.0
    urn: float = 0.0
    email: float = 0.0
    date: float = 0.0
    median_year: int | None = None
    sex: float = 0.0
    integer: float = 0.0
    word: float = 0.0
    multiword: float = 0.0
    multiword_named: float = 0.0
    first: float = 0.0
    surname: float = 0.0
    address: float = 0.0
    year_like: float = 0.0


def value_stats(series: pd.Series, uniqueness: float | None) -> _ValueStats:
    """What a column's non-missing values look like: shares of dates, postcodes, names, ids."""
    raw = [v for v in series.tolist() if not missing(v)]
    texts = [str(v).strip() for v in raw]
    keep = [
        (v, t)
        for v, t in zip(raw, texts, strict=True)
        if t and t.upper() not in PLACEHOLDER_TEXT_SET
    ]
    stats = _ValueStats(n=len(keep))
    if not keep:
        return stats
    values = [t for _, t in keep]
    n = len(values)
    upper = [t.upper() for t in values]
    stats.distinct = len(set(values))
    stats.unique = uniqueness if uniqueness is not None else stats.distinct / n

    def share(flags: Iterable[bool]) -> float:
        return sum(1 for f in flags if f) / n

    compact = [u.replace(" ", "") for u in upper]
    stats.postcode = share(_POSTCODE_RE.match(u) is not None for u in upper)
    stats.pnc = share(_PNC_RE.match(c) is not None for c in compact)
    stats.urn = share(_URN_RE.match(c) is not None for c in compact)
    stats.email = share(_EMAIL_RE.match(t) is not None for t in values)
    stats.sex = share(u in _SEX_VALUES for u in upper)
    stats.integer = share(_INT_RE.match(t) is not None for t in values)
    stats.word = share(_WORD_RE.match(t) is not None for t in values)
    stats.multiword = share(_MULTIWORD_RE.match(t) is not None for t in values)
    stats.address = share(_ADDRESS_RE.match(t) is not None for t in values)
    stats.first = share(u in _FIRST_NAMES for u in upper)
    stats.multiword_named = share(
        len(parts) > 1 and bool({parts[0], parts[-1]} & (_FIRST_NAMES | _SURNAMES))
        for parts in (u.replace(",", " ").split() for u in upper)
    )
    stats.surname = share(u in _SURNAMES for u in upper)
    if stats.integer > 0.9:
        stats.year_like = share(
            _INT_RE.match(t) is not None and 1900 <= int(t) <= date.today().year for t in values
        )
    else:
        dates = [_parse_date(v) for v, _ in keep]
        years = sorted(d.year for d in dates if d is not None)
        stats.date = len(years) / n
        if years:
            stats.median_year = years[len(years) // 2]
    return stats


def percent(x: float) -> str:
    """``x`` (a share from 0 to 1) as a whole percentage, e.g. ``'42%'``."""
    return f"{round(x * 100)}%"


def value_evidence(stats: _ValueStats) -> dict[Role, tuple[float, str]]:
    """For each role the values suggest, a confidence and the reason in words."""
    found: dict[Role, tuple[float, str]] = {}
    if stats.n == 0:
        return found

    def add(role: Role, score: float, reason: str) -> None:
        if score > found.get(role, (0.0, ""))[0]:
            found[role] = (min(score, 0.97), reason)

    if stats.postcode >= 0.5:
        add(
            Role.POSTCODE,
            0.5 + 0.45 * stats.postcode,
            f"{percent(stats.postcode)} of values are UK postcodes",
        )
    if stats.pnc >= 0.5:
        add(Role.PNC_ID, 0.5 + 0.45 * stats.pnc, f"{percent(stats.pnc)} of values are PNC IDs")
    if stats.urn >= 0.5:
        add(Role.URN, 0.5 + 0.4 * stats.urn, f"{percent(stats.urn)} of values look like case URNs")
    if stats.email >= 0.5:
        add(
            Role.OTHER_ID,
            0.5 + 0.4 * stats.email,
            f"{percent(stats.email)} of values are email addresses",
        )
    if stats.date >= 0.6 and stats.median_year is not None:
        if stats.median_year <= date.today().year - 16:
            add(
                Role.DOB,
                0.45 + 0.45 * stats.date,
                f"{percent(stats.date)} of values are dates with plausible birth years "
                f"(median {stats.median_year})",
            )
        else:
            add(
                Role.IGNORE,
                0.4 + 0.4 * stats.date,
                f"{percent(stats.date)} of values are recent dates "
                f"(median year {stats.median_year}), "
                "more like event dates than dates of birth",
            )
    if stats.sex >= 0.8 and stats.distinct <= 8:
        add(
            Role.SEX,
            0.5 + 0.45 * stats.sex,
            f"{percent(stats.sex)} of values are sex codes (M, F, ...)",
        )
    if stats.address >= 0.5:
        add(
            Role.ADDRESS,
            0.4 + 0.4 * stats.address,
            f"{percent(stats.address)} of values look like street addresses",
        )
    if stats.word >= 0.6:
        add(
            Role.FIRST_NAME,
            0.2 + 0.25 * stats.word + 0.6 * stats.first,
            f"{percent(stats.word)} of values look like names, "
            f"{percent(stats.first)} are common first names",
        )
        add(
            Role.SURNAME,
            0.2 + 0.25 * stats.word + 0.6 * stats.surname,
            f"{percent(stats.word)} of values look like names, "
            f"{percent(stats.surname)} are common surnames",
        )
    # People's names are many: a column of a few repeated multi-word values ("West Yorkshire
    # Police", "Greater Manchester Police") names an organisation or a place, not a person.
    many = stats.distinct >= min(50, 0.5 * stats.n)
    if stats.multiword >= 0.6 and stats.address < 0.3 and stats.multiword_named >= 0.2 and many:
        add(
            Role.FULL_NAME,
            0.35 + 0.5 * stats.multiword,
            f"{percent(stats.multiword)} of values are two or more words, like full names",
        )
    if (
        stats.unique >= 0.98
        and stats.n >= 2
        and stats.date < 0.5
        and (stats.integer > 0.9 or stats.word < 0.5)
    ):
        add(
            Role.RECORD_ID,
            0.4 + 0.4 * stats.unique,
            f"{percent(stats.unique)} of values are distinct",
        )
    if stats.year_like >= 0.9 and stats.unique < 0.9:
        add(Role.BIRTH_YEAR, 0.4, f"{percent(stats.year_like)} of values are plausible years")
    return found


def value_test(role: Role, stats: _ValueStats) -> tuple[float, str] | None:
    """How well values fit a role the name suggested: (share, description), or None if no test."""
    tests: dict[Role, tuple[float, str]] = {
        Role.POSTCODE: (stats.postcode, "look like UK postcodes"),
        Role.PNC_ID: (stats.pnc, "look like PNC IDs"),
        Role.DOB: (stats.date, "are dates"),
        Role.SEX: (stats.sex, "are sex codes"),
        Role.FIRST_NAME: (max(stats.word, stats.multiword), "look like names"),
        Role.SURNAME: (max(stats.word, stats.multiword), "look like names"),
        Role.MIDDLE_NAMES: (max(stats.word, stats.multiword), "look like names"),
        Role.FULL_NAME: (max(stats.multiword, stats.word), "look like names"),
        Role.RECORD_ID: (stats.unique, "are distinct"),
        Role.BIRTH_YEAR: (max(stats.year_like, stats.integer), "are years"),
    }
    return tests.get(role)
