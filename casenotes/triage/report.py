"""The analyst report: one self-contained HTML file of flagged notes, ranked and explained.

:func:`report_notes` turns scored notes into plain records (text cut into segments: plain,
hazard mention, or masked personal data), and :func:`render_report` renders them with the
Jinja2 template ``resources/report.html.j2``: inline CSS and JavaScript, no network, so it opens
from a shared drive. Note text reaches the page only as JSON read by ``textContent``, never as
HTML, so a note holding ``<script>`` is shown, not run. Mention offsets are those of the
original note even where personal data is masked around them.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import resources
from typing import Any, Final

from ..__about__ import __version__
from ..errors import InputSchemaError
from ..io.schema import split_list
from ..privacy import PersonalData, find_personal_data
from .cases import next_hazard_rows

DEFAULT_LIMIT: Final = 2_000
TEMPLATE: Final = "report.html.j2"


@dataclass(frozen=True)
class ReportMention:
    """One scored mention as the report needs it (offsets into the original note)."""

    start: int
    end: int
    term: str
    category: str
    context: str
    label: str
    risk_probability: float
    reasons: tuple[str, ...]
    cues: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReportNote:
    """One note for the report: its text, mentions and note-level facts."""

    note_id: str
    text: str
    mentions: tuple[ReportMention, ...]
    risk_score: float
    flagged: bool
    vulnerability: tuple[str, ...] = ()
    priority: float = 0.0
    urgency: str = ""
    priority_reason: str = ""
    #: (category, verdict, probability) per hazard, from the hazards table; without it the
    #: report derives each hazard from its mentions (risk when any is, the highest P(risk)).
    hazards: tuple[tuple[str, str, float], ...] = ()


def hazard_groups(note: ReportNote) -> list[dict[str, Any]]:
    """The note's mentions grouped under their hazard (category), in order of first mention,
    each with its verdict and probability: the unit an analyst acts on."""
    verdicts = {category: (verdict, p) for category, verdict, p in note.hazards}
    groups: dict[str, list[int]] = {}
    for index, mention in enumerate(note.mentions):
        groups.setdefault(mention.category, []).append(index)
    out = []
    for category, indices in groups.items():
        members = [note.mentions[i] for i in indices]
        verdict, p = verdicts.get(category, (
            "risk" if any(m.label == "risk" for m in members) else "routine",
            max(m.risk_probability for m in members)))
        out.append({"category": category, "verdict": verdict, "p": round(p, 4),
                    "mentions": indices})
    return out


def segments(text: str, mentions: Sequence[ReportMention],
             personal: Sequence[PersonalData]) -> list[dict[str, Any]]:
    """Cut ``text`` into plain, mention and masked pieces, in order.

    A mention is shown as written (hazard words are not personal data); personal data
    overlapping a mention is masked only outside it. Each piece is ``{"t": text}`` plus
    ``"m": index`` for a mention or ``"p": kind`` for masked data.
    """
    marks: list[tuple[int, int, str, Any]] = [
        (m.start, m.end, "m", i) for i, m in enumerate(mentions)
        if 0 <= m.start < m.end <= len(text)
    ]
    taken = sorted((s, e) for s, e, _, _ in marks)
    for span in personal:
        start, end = span.start, span.end
        for m_start, m_end in taken:  # trim personal data back from any mention it touches
            if m_start < end and start < m_end:
                if start < m_start:
                    end = m_start
                else:
                    start = max(start, m_end)
        if start < end:
            marks.append((start, end, "p", span.kind))
    marks.sort(key=lambda mark: (mark[0], mark[1]))
    out: list[dict[str, Any]] = []
    cursor = 0
    for start, end, kind, value in marks:
        if start < cursor:
            continue  # overlapping mentions: the first one wins
        if start > cursor:
            out.append({"t": text[cursor:start]})
        if kind == "m":
            out.append({"t": text[start:end], "m": value})
        else:
            out.append({"t": f"[{value}]", "p": value})
        cursor = end
    if cursor < len(text):
        out.append({"t": text[cursor:]})
    return out


@dataclass(frozen=True)
class ReportData:
    """Everything the template shows, and what was left out."""

    notes: list[dict[str, Any]]
    categories: dict[str, int]
    total_notes: int
    flagged_notes: int
    shown: int
    limit: int
    masked: bool
    report_id: str


def report_notes(notes: Iterable[ReportNote], *, limit: int = DEFAULT_LIMIT,
                 mask_pii: bool = True, include_unflagged: bool = False) -> ReportData:
    """Rank notes (flagged ones, highest priority first, then risk score) for the template.

    ``notes`` may stream every scored note (with or without mentions, so the counts are
    right); only the ``limit`` highest are kept in memory, and the report says how many
    flagged notes there were.
    """
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    chosen, total, flagged = top_notes(notes, limit, include_unflagged=include_unflagged)
    categories: Counter[str] = Counter()
    records = []
    digest = hashlib.sha256()
    for rank, note in enumerate(chosen, 1):
        personal = find_personal_data(note.text) if mask_pii else []
        categories.update({m.category for m in note.mentions if m.label == "risk"})
        digest.update(note.note_id.encode("utf-8", "replace") + b"\0")
        records.append({
            "id": note.note_id, "rank": rank, "score": round(note.risk_score, 4),
            "priority": round(note.priority, 2), "urgency": note.urgency,
            "why": note.priority_reason,
            "flagged": note.flagged, "vulnerability": list(note.vulnerability),
            "categories": sorted({m.category for m in note.mentions}),
            "segments": segments(note.text, note.mentions, personal),
            "hazards": hazard_groups(note),
            "mentions": [{
                "start": m.start, "end": m.end, "term": m.term, "category": m.category,
                "context": m.context, "label": m.label, "p": round(m.risk_probability, 4),
                "reasons": list(m.reasons), "cues": list(m.cues),
            } for m in note.mentions],
        })
    return ReportData(records, dict(sorted(categories.items())), total, flagged, len(records),
                      limit, mask_pii, digest.hexdigest()[:16])


def _script_json(value: Any) -> str:
    """JSON safe inside a ``<script>`` element: no ``</script>``, ``<!--`` or ``&`` escapes."""
    return (json.dumps(value, ensure_ascii=False).replace("<", "\\u003c")
            .replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def clock_rows(hazards: Sequence[Any], *, limit: int = 200) -> list[dict[str, Any]]:
    """Hazards with a deadline (:class:`~casenotes.triage.cases.CaseHazard`), worst first, for
    the top of the report: each names the notes that opened it, stopped its clock and closed
    it, so an analyst can check the verdict in one look."""
    rows = []
    for hazard in hazards:
        if hazard.deadline is None:
            continue
        rows.append({
            "case": hazard.case, "category": hazard.category, "urgency": hazard.urgency,
            "clock": hazard.clock, "from": f"{hazard.clock_from:%Y-%m-%d %H:%M}",
            "deadline": f"{hazard.deadline:%Y-%m-%d %H:%M}",
            "priority": round(hazard.priority, 1), "notes": list(hazard.note_ids[-5:]),
            "opened_by": hazard.opened_by,
            "stopped_by": hazard.action_by,
            "stopped_on": f"{hazard.action_on:%Y-%m-%d %H:%M}" if hazard.action_on else "",
            "closed_by": hazard.resolved_by,
            "closed_on": f"{hazard.resolved_on:%Y-%m-%d %H:%M}" if hazard.resolved_on else "",
            "events": [str(event) for event in hazard.events],
        })
    return rows[:limit]


def render_report(data: ReportData, *, title: str = "casenotes report",
                  source: str = "", clock: Sequence[dict[str, Any]] | None = None,
                  clock_note: str = "") -> str:
    """The self-contained HTML page for ``data`` (with the Awaab's Law clock, if given)."""
    from jinja2 import Environment, StrictUndefined, select_autoescape

    template_text = resources.files("casenotes").joinpath("resources").joinpath(TEMPLATE) \
        .read_text(encoding="utf-8")
    environment = Environment(autoescape=select_autoescape(default=True),
                              undefined=StrictUndefined)
    template = environment.from_string(template_text)
    payload = {
        "notes": data.notes, "categories": data.categories, "total": data.total_notes,
        "flagged": data.flagged_notes, "shown": data.shown, "limit": data.limit,
        "masked": data.masked, "reportId": data.report_id,
    }
    clock = list(clock or [])
    return template.render(
        title=title, source=source, version=__version__, data=data,
        generated=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        payload=_script_json(payload), clock=clock, clock_note=clock_note,
    )


def notes_from_tables(notes: Any, mentions: Any, texts: Iterable[object],
                      hazards: Any = None) -> Iterator[ReportNote]:
    """Report notes from a notes table, its mentions table and the notes' texts, all in input
    order (as ``casenotes score`` writes them): each note's mentions are the next
    ``n_mentions`` rows, so duplicate ids cannot mix notes up. With the hazards table of the
    same run, each note's hazards are its next rows there, one per category it mentions."""
    rows = mentions.itertuples(index=False)
    hazard_rows = hazards.itertuples(index=False) if hazards is not None else None
    texts = iter(texts)
    missing = object()
    for note in notes.itertuples(index=False):
        text = next(texts, missing)
        if text is missing:
            raise InputSchemaError(
                f"the notes table has more rows ({len(notes):,}) than the export; give the "
                "export the tables were scored from")
        found = []
        for _ in range(int(note.n_mentions)):
            row = next(rows, None)
            if row is None:
                raise InputSchemaError(
                    "the mentions table has fewer rows than the notes table counts; give the "
                    "tables from the same casenotes score run")
            reasons = split_list(row.reasons)
            found.append(ReportMention(
                int(row.start), int(row.end), str(row.term), str(row.category),
                str(row.context), str(row.label), float(row.risk_probability), reasons))
        vulnerability = split_list(getattr(note, "vulnerability", ""))
        priority = getattr(note, "priority", 0.0)
        verdicts: list[tuple[str, str, float]] = []
        if hazard_rows is not None:
            verdicts = [(str(h.category), str(h.verdict), float(h.risk_probability))
                        for h in next_hazard_rows(hazard_rows, {m.category for m in found})]
        yield ReportNote(str(note.note_id), text if isinstance(text, str) else "",
                         tuple(found), max((m.risk_probability for m in found), default=0.0),
                         any(m.label == "risk" for m in found), vulnerability,
                         0.0 if _is_blank(priority) else float(priority),
                         "" if _is_blank(getattr(note, "urgency", "")) else str(note.urgency),
                         "" if _is_blank(getattr(note, "priority_reason", ""))
                         else str(note.priority_reason), tuple(verdicts))


def _is_blank(value: object) -> bool:
    return value is None or value != value or str(value) in ("", "<NA>", "nan")


def top_notes(notes: Iterable[ReportNote], limit: int, *, include_unflagged: bool = False,
              ) -> tuple[list[ReportNote], int, int]:
    """The ``limit`` highest-priority notes to show (flagged only by default), in bounded
    memory, with the count of notes seen and of flagged notes."""
    import heapq

    heap: list[tuple[float, float, int, ReportNote]] = []
    seen = flagged = 0
    for order, note in enumerate(notes):
        seen += 1
        flagged += note.flagged
        if not note.mentions or not (note.flagged or include_unflagged):
            continue
        item = (note.priority, note.risk_score, -order, note)
        if len(heap) < limit:
            heapq.heappush(heap, item)
        elif item[:3] > heap[0][:3]:
            heapq.heapreplace(heap, item)
    chosen = [note for *_, note in sorted(heap, key=lambda x: (-x[0], -x[1], -x[2]))]
    return chosen, seen, flagged
