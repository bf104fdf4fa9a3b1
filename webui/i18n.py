"""The UI's words in German and English; each user picks a language (login page: the browser's)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "app": {"de": "factsandwich", "en": "factsandwich"},
    "login": {"de": "Anmelden", "en": "Log in"},
    "logout": {"de": "Abmelden", "en": "Log out"},
    "name": {"de": "Name", "en": "Name"},
    "password": {"de": "Passwort", "en": "Password"},
    "login_failed": {"de": "Name oder Passwort falsch.", "en": "Wrong name or password."},
    "login_throttled": {
        "de": "Zu viele Fehlversuche. Bitte in 15 Minuten erneut versuchen.",
        "en": "Too many failed attempts. Please try again in 15 minutes.",
    },
    "triage": {"de": "Sichtung", "en": "Triage"},
    "responses": {"de": "Antworten", "en": "Responses"},
    "claims": {"de": "Mythen & Fakten", "en": "Myths & facts"},
    "dashboard": {"de": "Übersicht", "en": "Dashboard"},
    "audit": {"de": "Protokoll", "en": "Audit log"},
    "feeds": {"de": "Quellen", "en": "Feeds"},
    "interval": {"de": "Intervall (s)", "en": "Interval (s)"},
    "add": {"de": "Hinzufügen", "en": "Add"},
    "remove": {"de": "Entfernen", "en": "Remove"},
    "last_success": {"de": "Zuletzt erfolgreich", "en": "Last success"},
    "last_error": {"de": "Letzter Fehler", "en": "Last error"},
    "next_poll": {"de": "Nächster Abruf", "en": "Next poll"},
    "language": {"de": "Sprache", "en": "Language"},
    "status": {"de": "Status", "en": "Status"},
    "claim": {"de": "Mythos", "en": "Myth"},
    "feed": {"de": "Quelle", "en": "Source"},
    "from": {"de": "von", "en": "from"},
    "to": {"de": "bis", "en": "to"},
    "filter": {"de": "Filtern", "en": "Filter"},
    "all": {"de": "alle", "en": "all"},
    "priority": {"de": "Priorität", "en": "Priority"},
    "probability": {"de": "Mythos-Wahrscheinlichkeit", "en": "Myth probability"},
    "score": {"de": "Übereinstimmung", "en": "Match score"},
    "confidence": {"de": "Wahrscheinlichkeit", "en": "Confidence"},
    "matched_text": {"de": "passende Formulierung", "en": "wording that matched"},
    "why_flagged": {"de": "Warum markiert", "en": "Why flagged"},
    "why_flagged_text": {
        "de": "Der Klassifikator schätzt die Wahrscheinlichkeit, dass dieser Beitrag einen Migrationsmythos "
        "verbreitet, auf {p} (Schwelle {t}).",
        "en": "The classifier estimates the probability that this item spreads a migration myth at {p} "
        "(threshold {t}).",
    },
    "published_fact_checks": {"de": "Veröffentlichte Faktenchecks", "en": "Published fact-checks"},
    "published_fact_checks_note": {
        "de": "Faktenchecks anderer Herausgeber, die zu diesem Beitrag passen: nur zum Nachlesen verlinkt, "
        "nie Grundlage eines Antwortentwurfs.",
        "en": "Fact-checks by other publishers that match this item: linked for reading, never the basis "
        "of a draft.",
    },
    "checked_claim": {"de": "Geprüfte Behauptung", "en": "Checked claim"},
    "rating": {"de": "Bewertung", "en": "Rating"},
    "publisher": {"de": "Herausgeber", "en": "Publisher"},
    "date": {"de": "Datum", "en": "Date"},
    "open_fact_check": {"de": "Faktencheck öffnen", "en": "Open the fact-check"},
    "open_source": {"de": "Originalbeitrag öffnen", "en": "Open the original"},
    "dismiss": {"de": "Verwerfen", "en": "Dismiss"},
    "dismiss_selected": {"de": "Ausgewählte verwerfen", "en": "Dismiss selected"},
    "not_a_myth": {"de": "kein Mythos", "en": "not a myth"},
    "not_relevant": {"de": "nicht relevant", "en": "not relevant"},
    "duplicate": {"de": "Duplikat", "en": "duplicate"},
    "misinformation": {"de": "Fehlinformation", "en": "misinformation"},
    "disinformation": {"de": "Desinformation", "en": "disinformation"},
    "mark_as": {"de": "Markieren als", "en": "Mark as"},
    "send_to_response": {"de": "Antwort entwerfen", "en": "Send to response"},
    "channel": {"de": "Kanal", "en": "Channel"},
    "tone": {"de": "Ton", "en": "Tone"},
    "nothing_here": {"de": "Nichts zu tun.", "en": "Nothing here."},
    "page": {"de": "Seite", "en": "Page"},
    "next": {"de": "weiter", "en": "next"},
    "previous": {"de": "zurück", "en": "previous"},
    "save": {"de": "Speichern", "en": "Save"},
    "approve": {"de": "Freigeben", "en": "Approve"},
    "reject": {"de": "Ablehnen", "en": "Reject"},
    "copy": {"de": "Kopieren", "en": "Copy"},
    "copied": {"de": "Kopiert", "en": "Copied"},
    "characters": {"de": "Zeichen", "en": "characters"},
    "checks": {"de": "Prüfung", "en": "Checks"},
    "checks_ok": {"de": "Struktur und Länge in Ordnung.", "en": "Structure and length are fine."},
    "versions": {"de": "Versionen", "en": "Versions"},
    "approved_by": {"de": "Freigegeben von", "en": "Approved by"},
    "time_to_approval": {"de": "Zeit bis zur Freigabe", "en": "Time to approval"},
    "hours": {"de": "Stunden", "en": "hours"},
    "claimreview": {"de": "ClaimReview (JSON-LD)", "en": "ClaimReview (JSON-LD)"},
    "part_fact": {"de": "Fakt", "en": "Fact"},
    "part_warning": {"de": "Warnhinweis", "en": "Warning"},
    "part_myth": {"de": "Mythos (einmal)", "en": "Myth (once)"},
    "part_fallacy": {"de": "Denkfehler", "en": "Fallacy"},
    "part_fact_repeat": {"de": "Fakt (Wiederholung)", "en": "Fact (repeated)"},
    "search": {"de": "Suchen", "en": "Search"},
    "new_pair": {"de": "Neues Paar", "en": "New pair"},
    "edit": {"de": "Bearbeiten", "en": "Edit"},
    "history": {"de": "Verlauf", "en": "History"},
    "export": {"de": "Exportieren (YAML, zip)", "en": "Export (YAML, zip)"},
    "import": {"de": "Importieren (YAML)", "en": "Import (YAML)"},
    "preview": {"de": "Vorschau", "en": "Preview"},
    "sources_help": {
        "de": "Eine Quelle pro Zeile: Herausgeber | Titel | Jahr | URL",
        "en": "One source per line: publisher | title | year | URL",
    },
    "lines_help": {
        "de": "Eine Formulierung pro Zeile, die erste ist die kanonische.",
        "en": "One wording per line; the first is the canonical one.",
    },
    "saved": {"de": "Gespeichert.", "en": "Saved."},
    "already_done": {"de": "Das wurde bereits ausgeführt.", "en": "That was done already."},
    "open_vs_handled": {"de": "Offen / erledigt", "en": "Open / handled"},
    "median_approval": {"de": "Median bis zur Freigabe", "en": "Median time to approval"},
    "flagged_per_week": {
        "de": "Markierte Beiträge pro Mythos und Woche",
        "en": "Flagged items per myth per week",
    },
    "forbidden": {"de": "Dafür fehlt Ihnen die Rolle.", "en": "Your role does not allow this."},
    "not_found": {"de": "Nicht gefunden.", "en": "Not found."},
    "bad_request": {"de": "Ungültige Anfrage.", "en": "Bad request."},
    # the review workflow (issue 13)
    "approved": {"de": "Freigegeben.", "en": "Approved."},
    "rejected": {"de": "Abgelehnt.", "en": "Rejected."},
    "approve_blocked": {
        "de": "Freigabe erst, wenn die Prüfung keine Probleme mehr meldet: Text bearbeiten und speichern.",
        "en": "Approval is possible once the checks report no problems: edit the text and save.",
    },
    "approve_refused_checks": {
        "de": "Nicht freigegeben: Die Prüfung meldet noch Probleme (siehe unten).",
        "en": "Not approved: the checks still report problems (see below).",
    },
    "approve_override": {
        "de": "Trotz der gemeldeten Probleme freigeben (wird protokolliert)",
        "en": "Approve despite the reported problems (recorded in the audit log)",
    },
    "approve_anyway": {"de": "Trotzdem freigeben", "en": "Approve anyway"},
    "confirm_title": {"de": "Bitte bestätigen", "en": "Please confirm"},
    "state_changed": {
        "de": "Der Beitrag ist inzwischen „{current}“ (die Seite zeigte „{seen}“). Trotzdem ausführen?",
        "en": "The item is now “{current}” (the page showed “{seen}”). Do it anyway?",
    },
    "confirm_do_it": {"de": "Ja, trotzdem ausführen", "en": "Yes, do it anyway"},
    "confirm_back": {"de": "Zurück zum Beitrag", "en": "Back to the item"},
    "status_new": {"de": "neu", "en": "new"},
    "response_status_draft": {"de": "Entwurf", "en": "draft"},
    "response_status_approved": {"de": "freigegeben", "en": "approved"},
    "response_status_rejected": {"de": "abgelehnt", "en": "rejected"},
    "status_open": {"de": "offen", "en": "open"},
    "status_dismissed": {"de": "verworfen", "en": "dismissed"},
    "status_misinformation": {"de": "Fehlinformation", "en": "misinformation"},
    "status_disinformation": {"de": "Desinformation", "en": "disinformation"},
    "status_responding": {"de": "in Antwort", "en": "responding"},
    "status_handled": {"de": "erledigt", "en": "handled"},
    "response_exists": {
        "de": "Zu diesem Beitrag gibt es schon eine Antwort; es wurde keine zweite angelegt.",
        "en": "This item has a response already; no second one was drafted.",
    },
    "response_drafted": {"de": "Antwortentwurf angelegt.", "en": "Response drafted."},
    "response_sent": {
        "de": "An die Pressestelle zur Antwort übergeben.",
        "en": "Sent to the spokespeople for a response.",
    },
    "choose_claim": {
        "de": "Bitte einen Mythos wählen: Nichts wurde entworfen.",
        "en": "Please choose a myth: nothing was drafted.",
    },
    "dismissed_n": {"de": "{n} verworfen.", "en": "{n} dismissed."},
    "skipped_n": {
        "de": "{n} übersprungen (inzwischen entschieden).",
        "en": "{n} skipped (decided meanwhile).",
    },
    "undone_n": {"de": "Rückgängig gemacht: {n}.", "en": "Undone: {n}."},
    "undo": {"de": "Rückgängig", "en": "Undo"},
    "marked_as": {"de": "Markiert als {kind}.", "en": "Marked as {kind}."},
    "no_matching_myth": {
        "de": "Kein passender Mythos: Kein Paar passt sicher zu diesem Beitrag.",
        "en": "No matching myth: no pair matches this item with confidence.",
    },
    "candidates_offered": {
        "de": "Mögliche Kandidaten stehen oben in der Auswahl; bitte prüfen.",
        "en": "Possible candidates are at the top of the list; please check them.",
    },
    "choose_claim_option": {"de": "– Mythos wählen –", "en": "– choose a myth –"},
    "candidates": {"de": "Kandidaten", "en": "Candidates"},
    "candidate": {"de": "Kandidat", "en": "candidate"},
    "other_pairs": {"de": "Andere Paare", "en": "Other pairs"},
    "propose_pair": {"de": "Neues Paar vorschlagen", "en": "Propose a new pair"},
    "organisation_missing": {
        "de": "Für ClaimReview fehlt der Name der Organisation: FACTSANDWICH_ORGANISATION setzen "
        "(und die Adresse veröffentlichter Antworten: FACTSANDWICH_RESPONSE_URL).",
        "en": "ClaimReview needs the organisation's name: set FACTSANDWICH_ORGANISATION (and the address "
        "of published answers: FACTSANDWICH_RESPONSE_URL).",
    },
    "published_at_address": {"de": "Veröffentlicht unter:", "en": "Published at:"},
    "part_too_long": {
        "de": "Nicht gespeichert: Der Teil „{part}“ hat {n} Zeichen, höchstens {max} sind möglich. "
        "Ihr Text steht unten noch im Formular.",
        "en": "Not saved: the part “{part}” has {n} characters; at most {max} are possible. "
        "Your text is still in the form below.",
    },
    "part_too_long_here": {
        "de": "Nicht gesendet: Ein Teil hat mehr als {max} Zeichen. Bitte kürzen; "
        "der Text bleibt hier stehen.",
        "en": "Not sent: a part has more than {max} characters. Please shorten it; the text stays here.",
    },
    "request_too_large": {
        "de": "Die Eingabe ist zu groß zum Senden (mehr als {mb} MB); nichts wurde gespeichert. Gehen Sie "
        "zurück: Ihr Text steht noch im Formular. Bitte kürzen.",
        "en": "What was sent is too large (over {mb} MB); nothing was saved. Go back: your text is still "
        "in the form. Please shorten it.",
    },
    "import_review": {"de": "Import prüfen", "en": "Review the import"},
    "import_file_version": {
        "de": "Die Datei {file} würde Version {version} des gespeicherten Paars ersetzen. Unterschiede:",
        "en": "The file {file} would replace version {version} of the stored pair. Differences:",
    },
    "import_locally_edited": {
        "de": "Achtung: Dieses Paar wurde hier bearbeitet; diese Änderungen gingen beim Überschreiben "
        "verloren.",
        "en": "Note: this pair was edited here; overwriting it loses those edits.",
    },
    "field": {"de": "Feld", "en": "Field"},
    "stored_now": {"de": "Jetzt gespeichert", "en": "Stored now"},
    "in_the_file": {"de": "In der Datei", "en": "In the file"},
    "import_overwrite": {"de": "Überschreiben", "en": "Overwrite"},
    "import_keep": {"de": "Nicht importieren", "en": "Keep the stored pair"},
    "import_unchanged": {
        "de": "Die Datei entspricht dem gespeicherten Paar; nichts geändert.",
        "en": "The file equals the stored pair; nothing changed.",
    },
    "imported": {"de": "Importiert.", "en": "Imported."},
    "post": {"de": "Beitrag", "en": "Post"},
    "age": {"de": "Alter", "en": "Age"},
    "age_min": {"de": "{n} Min.", "en": "{n} min"},
    "age_h": {"de": "{n} Std.", "en": "{n} h"},
    "age_d": {"de": "{n} T.", "en": "{n} d"},
    "probability_short": {"de": "Mythos", "en": "myth"},
    "propose_pair_help": {
        "de": "Kein Paar passt? Die Redaktion um ein neues Mythos-Fakten-Paar für diesen Beitrag bitten.",
        "en": "No pair fits? Ask the editors for a new myth/fact pair for this post.",
    },
    "proposed": {
        "de": "Der Redaktion vorgeschlagen: Sie sieht den Beitrag bei „Mythen & Fakten“.",
        "en": "Proposed to the editors: they see the post under “Myths & facts”.",
    },
    "proposals": {
        "de": "Vorschläge für neue Paare (aus der Sichtung)",
        "en": "Proposals for new pairs (from triage)",
    },
    "decide_conflict": {
        "de": "Nichts entschieden: Jemand hat die Antwort inzwischen geändert. Bitte die neue Fassung lesen.",
        "en": "Nothing decided: someone changed the response meanwhile. Please read the new version.",
    },
}


def translate(key: str, language: str) -> str:
    entry = MESSAGES.get(key)
    if entry is None:
        return key
    return entry.get(language) or entry["en"]
