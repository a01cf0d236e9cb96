"""CSV and XLSX exports of a competition's entries, one row per entry, credits and co-owners in one cell each.

Both formats share the columns and `neutralise`, which keeps a spreadsheet from running a cell as a formula.
Rows are read with `.iterator(chunk_size=...)`; credits and co-owners are read per chunk, so an export makes a
few queries per chunk of entries, never one per entry.
"""

import csv
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from submissions.models import AIGCPart, CoOwner, Credit, CreditRole, EntryStatus, Genre, SpokenLanguage

CHUNK_SIZE = 500
# A spreadsheet reads a cell starting with one of these as a formula (or as the start of one).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
XLSX_CELL_MAX = 32767
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
JOINER = "; "


def neutralise(value):
    """Prefix a text that a spreadsheet would run as a formula with a single quote; other values pass through."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


COLUMNS = [
    # (header, width in the XLSX)
    (gettext_lazy("Entry number"), 16),
    (gettext_lazy("Status"), 12),
    (gettext_lazy("Title"), 28),
    (gettext_lazy("Original or English title"), 28),
    (gettext_lazy("Track"), 14),
    (gettext_lazy("Unit"), 18),
    (gettext_lazy("Entrant email"), 28),
    (gettext_lazy("Entrant name"), 18),
    (gettext_lazy("Country or region"), 14),
    (gettext_lazy("Languages"), 16),
    (gettext_lazy("Genres"), 18),
    (gettext_lazy("Episodes"), 10),
    (gettext_lazy("Runtime per episode (seconds)"), 12),
    (gettext_lazy("Total runtime (seconds)"), 12),
    (gettext_lazy("Filing number"), 20),
    (gettext_lazy("AI tools used"), 10),
    (gettext_lazy("AI tools"), 24),
    (gettext_lazy("Parts made with AI"), 20),
    (gettext_lazy("AIGC statement"), 40),
    (gettext_lazy("Submitted at"), 26),
    (gettext_lazy("Credits"), 50),
    (gettext_lazy("Co-owners"), 30),
    (gettext_lazy("Decision reason"), 30),
]


@dataclass(frozen=True)
class Labels:
    """Every label an export needs, looked up once (in the language of the request) instead of per row."""

    status: dict
    genre: dict
    language: dict
    part: dict
    credit_role: dict  # bilingual: "导演/Director"
    yes: str
    no: str

    @classmethod
    def current(cls):
        return cls(
            status={value: str(label) for value, label in EntryStatus.choices},
            genre={value: str(label) for value, label in Genre.choices},
            language={value: str(label) for value, label in SpokenLanguage.choices},
            part={value: str(label) for value, label in AIGCPart.choices},
            credit_role=bilingual_credit_roles(),
            yes=_("Yes"),
            no=_("No"),
        )


def bilingual_credit_roles():
    labels = {}
    for role in CreditRole:
        names = []
        for language in ("zh-hans", "en"):
            with translation.override(language):
                names.append(str(role.label))
        labels[role.value] = "/".join(dict.fromkeys(names))
    return labels


def _labels(codes, mapping):
    if not isinstance(codes, list):
        return ""
    return JOINER.join(mapping.get(code, str(code)) for code in codes)


def credits_text(credits, labels):
    """"导演/Director: 林一; 编剧/Screenwriter: 王二" — an "other" role shows what the entrant called it."""
    parts = []
    for credit in credits:
        role = labels.credit_role.get(credit.role, credit.role)
        if credit.role == CreditRole.OTHER and credit.role_other:
            role = f"{role} ({credit.role_other})"
        parts.append(f"{role}: {credit.name}")
    return JOINER.join(parts)


# Columns an export never shows: not loading them spares reading and decoding the long texts and JSON of every row.
UNEXPORTED_FIELDS = (
    "logline", "logline_en", "synopsis", "synopsis_en", "synopsis_long", "synopsis_long_en", "subtitle_languages",
    "platforms", "outline", "episode_plan",
)


def export_queryset(queryset):
    """The entries of an export in entry-number order (drafts, without a number, last), ready for `.iterator()`;
    credits and co-owners are read per chunk by `entry_rows`."""
    return (
        queryset.select_related("track", "unit", "owner")
        .defer(*UNEXPORTED_FIELDS)
        .order_by(F("sequence").asc(nulls_last=True), "id")
    )


def _chunks(entries, size):
    chunk = []
    for entry in entries:
        chunk.append(entry)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _people_of(chunk):
    """({entry id: [Credit]}, {entry id: [co-owner email]}) for a chunk of entries, in two queries. Grouped by
    hand: prefetch_related clones a queryset per entry, which was a third of an export's time."""
    ids = [entry.pk for entry in chunk]
    credits, coowners = {}, {}
    for credit in Credit.objects.filter(entry_id__in=ids).only("entry_id", "role", "role_other", "name").order_by(
        "position", "id"
    ):
        credits.setdefault(credit.entry_id, []).append(credit)
    for entry_id, email in (
        CoOwner.objects.filter(entry_id__in=ids).order_by("created_at", "id").values_list("entry_id", "email")
    ):
        coowners.setdefault(entry_id, []).append(email)
    return credits, coowners


def headers():
    return [str(header) for header, _width in COLUMNS]


def entry_row(entry, labels, tz, credits=(), coowner_emails=()):
    """One entry as a list of plain values (text, int or None), in COLUMNS order, not yet neutralised."""
    aigc = {True: labels.yes, False: labels.no}.get(entry.aigc_used, "")
    submitted = entry.submitted_at.astimezone(tz).isoformat(timespec="seconds") if entry.submitted_at else ""
    return [
        entry.number,
        labels.status.get(entry.status, entry.status),
        entry.title,
        entry.title_en,
        entry.track.name,
        entry.unit.name,
        entry.owner.email,
        entry.owner.display_name,
        entry.country,
        _labels(entry.languages, labels.language),
        _labels(entry.genres, labels.genre),
        entry.episode_count,
        entry.episode_runtime_seconds,
        entry.total_runtime_seconds,
        entry.filing_number,
        aigc,
        entry.aigc_tools,
        _labels(entry.aigc_parts, labels.part),
        entry.aigc_statement,
        submitted,
        credits_text(credits, labels),
        JOINER.join(coowner_emails),
        entry.eligibility_reason,
    ]


def entry_rows(queryset, competition) -> Iterator[list]:
    """The header, then one row per entry. Call it with the request's language active."""
    labels = Labels.current()
    yield headers()
    for chunk in _chunks(export_queryset(queryset).iterator(chunk_size=CHUNK_SIZE), CHUNK_SIZE):
        credits, coowners = _people_of(chunk)
        for entry in chunk:
            yield entry_row(entry, labels, competition.tzinfo, credits.get(entry.pk, ()), coowners.get(entry.pk, ()))


def export_filename(competition, extension):
    today = timezone.now().astimezone(competition.tzinfo)
    return f"{competition.slug}-entries-{today:%Y%m%d}.{extension}"


# ---------------------------------------------------------------- CSV


class _Echo:
    """csv.writer writes into this and gets the line back, so rows can be streamed."""

    def write(self, value):
        return value


def stream_csv(rows, language) -> Iterable[str]:
    """CSV text for a StreamingHttpResponse: UTF-8 BOM first so Excel reads Chinese correctly, every cell
    neutralised. `rows` is a callable giving the rows (header first); the response is consumed after the view
    returned, so it runs with `language` set again here."""
    writer = csv.writer(_Echo())
    with translation.override(language):
        yield "\ufeff"
        for row in rows():
            yield writer.writerow([neutralise(value) for value in row])


def csv_stream(queryset, competition, language) -> Iterable[str]:
    return stream_csv(lambda: entry_rows(queryset, competition), language)


# ---------------------------------------------------------------- XLSX


def xlsx_value(value):
    """Text safe for a worksheet: no characters XML cannot carry, no formula, within the cell limit."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        value = neutralise(value)[:XLSX_CELL_MAX]
        return value or None
    return value


def write_rows_xlsx(rows, *, sheet_title, widths):
    """A one-sheet workbook of `rows` (header first, in bold) in a temporary file (deleted when closed), rewound
    for reading. Written in write-only mode, so memory stays flat however many rows there are."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=str(sheet_title)[:31])
    sheet.freeze_panes = "A2"
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    rows = iter(rows)
    bold = Font(bold=True)
    header_cells = []
    for header in next(rows):
        cell = WriteOnlyCell(sheet, value=xlsx_value(header))
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        sheet.append([xlsx_value(value) for value in row])
    # Handed to FileResponse, which closes it (and so deletes it) once it is sent.
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115
    try:
        workbook.save(handle)
    except BaseException:
        handle.close()
        raise
    handle.seek(0)
    return handle


def write_xlsx(queryset, competition):
    return write_rows_xlsx(
        entry_rows(queryset, competition), sheet_title=_("Entries"), widths=[width for _header, width in COLUMNS]
    )
