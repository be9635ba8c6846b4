"""The analyst report: what it shows, in what order, masked, capped and safe."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from casenotes.cli import app
from casenotes.privacy import find_personal_data
from casenotes.triage.report import (
    ReportMention,
    ReportNote,
    notes_from_tables,
    render_report,
    report_notes,
    segments,
)

runner = CliRunner()


def mention(start: int, end: int, term: str, label: str = "risk", p: float = 0.9,
            category: str = "gas") -> ReportMention:
    return ReportMention(start, end, term, category, "present", label, p, ("cue=concern (+1.0)",))


def note(note_id: str, text: str, *mentions: ReportMention) -> ReportNote:
    return ReportNote(note_id, text, mentions, max((m.risk_probability for m in mentions),
                                                     default=0.0),
                      any(m.label == "risk" for m in mentions))


def payload(html: str) -> dict:  # type: ignore[type-arg]
    found = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', html,
                      re.S)
    assert found
    return json.loads(found.group(1))  # type: ignore[no-any-return]


def test_segments_mask_personal_data_and_keep_mentions_as_written() -> None:
    text = "Mrs Okafor, 07700 900123: smell of gas in hall"
    gas = mention(26, 38, "smell of gas")
    pieces = segments(text, [gas], find_personal_data(text))
    assert pieces == [{"t": "Mrs "}, {"t": "[NAME]", "p": "NAME"}, {"t": ", "},
                      {"t": "[PHONE]", "p": "PHONE"}, {"t": ": "},
                      {"t": "smell of gas", "m": 0}, {"t": " in hall"}]
    assert text[gas.start:gas.end] == "smell of gas"  # offsets are the original note's


def test_without_masking_the_text_is_whole() -> None:
    text = "Mr Smith: damp"
    pieces = segments(text, [mention(10, 14, "damp")], [])
    assert "".join(p["t"] for p in pieces) == text


def test_flagged_notes_are_ranked_by_priority_then_risk_score_and_capped() -> None:
    notes = [note("low", "damp here", mention(0, 4, "damp", p=0.6)),
             note("none", "rent paid"),
             note("routine", "LGSR done", mention(0, 4, "LGSR", label="routine", p=0.1)),
             note("high", "smell of gas", mention(0, 12, "smell of gas", p=0.95)),
             note("mid", "black mould", mention(0, 11, "black mould", p=0.8))]
    data = report_notes(iter(notes), limit=2)
    assert [n["id"] for n in data.notes] == ["high", "mid"]
    assert (data.total_notes, data.flagged_notes, data.shown) == (5, 3, 2)
    html = render_report(data)
    assert "Showing the 2 highest-priority of 3 flagged notes" in html
    everything = report_notes(iter(notes), limit=10, include_unflagged=True)
    assert [n["id"] for n in everything.notes] == ["high", "mid", "low", "routine"]


def test_note_text_cannot_break_out_of_the_page() -> None:
    text = "</script><script>window.pwned=1</script> <!-- smell of gas & <b>"
    start = text.index("smell of gas")
    data = report_notes([note("x<y", text, mention(start, start + 12, "smell of gas"))])
    html = render_report(data, title="<i>title</i>")
    assert "<script>window.pwned" not in html
    assert "<!-- smell" not in html
    assert "<i>title</i>" not in html
    restored = payload(html)["notes"][0]
    assert "".join(s["t"] for s in restored["segments"]) == text
    assert restored["id"] == "x<y"


def test_the_page_is_self_contained() -> None:
    html = render_report(report_notes([note("a", "smell of gas", mention(0, 12, "gas"))]))
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert "default-src 'none'" in html


def test_notes_from_tables_splits_mentions_by_count_even_with_duplicate_ids() -> None:
    notes = pd.DataFrame({"note_id": ["1", "1", "2"], "n_mentions": [1, 0, 2],
                          "vulnerability": ["child", "", ""]})
    mentions = pd.DataFrame({
        "note_id": ["1", "2", "2"], "start": [0, 0, 6], "end": [4, 4, 10],
        "term": ["damp", "damp", "mold"], "category": ["damp_mould"] * 3,
        "context": ["present"] * 3, "label": ["risk", "routine", "risk"],
        "risk_probability": [0.9, 0.2, 0.7], "reasons": ["a (+1.00); b (+0.50)", "", "c (+0.2)"],
    })
    built = list(notes_from_tables(notes, mentions, ["damp", "rent", "damp, mold"]))
    assert [(n.note_id, len(n.mentions), n.flagged) for n in built] == [
        ("1", 1, True), ("1", 0, False), ("2", 2, True)]
    assert built[0].vulnerability == ("child",)
    assert built[0].mentions[0].reasons == ("a (+1.00)", "b (+0.50)")


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("report")
    path = folder / "export.csv"
    pd.DataFrame({
        "id": ["n1", "n2", "n3", "n4"],
        "description": ["T/C Mrs Okafor 07700 900123: strong smell of gas in kitchen",
                        "Rent paid", "No ACMs found in loft survey",
                        "Black mould in baby's bedroom, getting worse"],
    }).to_csv(path, index=False)
    return path


def test_the_report_command_scores_an_export(export: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = runner.invoke(app, ["report", str(export), "-o", str(out), "-j", "1"])
    assert result.exit_code == 0, result.output
    data = payload(out.read_text(encoding="utf-8"))
    assert {n["id"] for n in data["notes"]} == {"n1", "n4"}
    ranks = [(n["priority"], n["score"]) for n in data["notes"]]
    assert ranks == sorted(ranks, reverse=True)
    for note in data["notes"]:
        grouped = sorted(i for hazard in note["hazards"] for i in hazard["mentions"])
        assert grouped == list(range(len(note["mentions"])))
    page = out.read_text(encoding="utf-8")
    assert "Okafor" not in page and "07700" not in page
    assert "2 of 2 flagged notes (of 4)" in result.stderr


def test_the_report_can_show_personal_data_when_asked(export: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    assert runner.invoke(app, ["report", str(export), "-o", str(out), "-j", "1",
                               "--no-mask-pii"]).exit_code == 0
    assert "Okafor" in out.read_text(encoding="utf-8")


def test_the_report_reads_the_tables_score_wrote(export: Path, tmp_path: Path) -> None:
    notes, mentions, hazards = tmp_path / "n.parquet", tmp_path / "m.csv", tmp_path / "h.csv"
    assert runner.invoke(app, ["score", str(export), "--notes", str(notes), "--mentions",
                               str(mentions), "--hazards", str(hazards), "-j", "1",
                               "-q"]).exit_code == 0
    from_tables, fresh = tmp_path / "a.html", tmp_path / "b.html"
    assert runner.invoke(app, ["report", str(export), "-o", str(from_tables), "--notes",
                               str(notes), "--mentions", str(mentions), "--hazards",
                               str(hazards)]).exit_code == 0
    assert runner.invoke(app, ["report", str(export), "-o", str(fresh), "-j", "1"]).exit_code == 0
    first = payload(from_tables.read_text(encoding="utf-8"))["notes"]
    second = payload(fresh.read_text(encoding="utf-8"))["notes"]
    assert first == second


@pytest.mark.parametrize(("args", "message"), [
    (["-o", "report.txt"], "name it report.html"),
    (["-o", "r.html", "--notes", "n.csv"], "give both --notes and --mentions"),
])
def test_report_usage_errors_exit_2(export: Path, tmp_path: Path, args: list[str],
                                    message: str) -> None:
    args = [str(tmp_path / a) if a.endswith((".txt", ".html", ".csv")) else a for a in args]
    result = runner.invoke(app, ["report", str(export), *args])
    assert result.exit_code == 2 and message in result.stderr


def test_priority_ranks_before_risk_score() -> None:
    gas = ReportNote("gas", "smell of gas", (mention(0, 12, "smell of gas", p=0.7),), 0.7, True,
                     priority=70.0, urgency="emergency")
    mould = ReportNote("mould", "black mould", (mention(0, 11, "black mould", p=0.9),), 0.9,
                       True, priority=40.0, urgency="significant")
    assert [n["id"] for n in report_notes([mould, gas]).notes] == ["gas", "mould"]
