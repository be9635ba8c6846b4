"""Triage of scored notes for people: urgency and priority (``priority``), cases and the
Awaab's Law clock (``cases``), the analysts' report (``report``) and their labels back
(``review``)."""
