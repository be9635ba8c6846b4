"""Writing-voice families: the groups held out in turn by scripts/leave_one_voice_out.py.

Every note carries a fine ``voice`` ("ooh_gas_engineer", "stage2_complaint_response"); the
family groups voices that share a register, so holding a family out removes that way of
writing from training entirely, across every writing batch that used it.
"""

from __future__ import annotations

from typing import Final

#: (family, words any of which in the voice name puts it there), tried in order.
FAMILY_RULES: Final = (
    ("system_admin", ("system", "auto", "compliance_admin", "register", "sms_log")),
    ("timelines", ("timeline", "chronology", "history", "email_chain", "multi_team", "case_log",
                   "lettings_log")),
    ("advice_information", ("advice", "leaflet", "webpage", "handbook", "faq", "newsletter",
                            "script", "sms_to")),
    ("tenant_own", ("tenant_", "family_member", "web_form", "webchat", "forum", "whatsapp",
                    "interpreter", "text_log")),
    ("public_prose", ("ombudsman", "complain", "mp_", "councillor", "committee", "board",
                      "hhsrs", "regulator", "disrepair", "solicitor", "policy",
                      "self_assessment", "case_report", "letter")),
    ("social_care_welfare", ("welfare", "safeguard", "social", "hospital", "occupational",
                             "mental_health", "hoarding", "police", "cold_team", "support",
                             "benefits")),
    ("asbestos", ("asbestos", "removal")),
    ("housing_tenancy", ("housing", "tenancy", "tso", "income", "rent", "asb_", "letting",
                         "liaison", "audit")),
    ("gas_heating", ("gas", "heating")),
)


def voice_family(voice: str) -> str:
    """The family of a writing voice; repairs and other trades when no rule names it.

    A rule word matches at the start of a word of the voice name ("mp" in "mp_enquiry", not in
    "damp_surveyor").
    """
    name = "_" + voice.lower()
    for family, words in FAMILY_RULES:
        if any("_" + word.strip("_") in name for word in words):
            return family
    return "repairs_trades"
