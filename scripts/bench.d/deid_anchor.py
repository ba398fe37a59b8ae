#!/usr/bin/env python3
"""De-identification anchors for scripts/bench: DEDUCE or Presidio over a
notes JSONL file, writing the spans they find in the shape `norclin deid
eval --pred` reads (one `{"note_id","start","end","label"}` per line,
Unicode character offsets, labels mapped onto norclin's) and printing one
JSON line with bytes of note text, wall and CPU seconds.

  deid_anchor.py deduce|presidio NOTES.jsonl SPANS_OUT.jsonl

Timing covers detection and replacement (DEDUCE's `deidentify` does both;
for Presidio the analyzer plus the anonymizer), not start-up or file I/O.
Presidio runs its regex recognizers (e-mail, phone for region NO, URL,
date, IBAN, IP, credit card) plus one pattern for the 11-digit
fødselsnummer, on a blank spaCy pipeline: no model is downloaded.
"""
import json
import sys
import time

DEDUCE_LABELS = {
    "persoon": "PERSON_LAST", "patient": "PERSON_LAST", "naam": "PERSON_LAST",
    "datum": "DATE", "leeftijd": "AGE", "locatie": "LOCATION",
    "instelling": "CARE_UNIT", "ziekenhuis": "CARE_UNIT", "zorginstelling": "CARE_UNIT",
    "telefoonnummer": "PHONE", "emailadres": "EMAIL", "url": "URL", "bsn": "NATIONAL_ID",
    "patientnummer": "RECORD_NUMBER", "postcode": "POSTCODE", "adres": "ADDRESS",
}
PRESIDIO_LABELS = {
    "EMAIL_ADDRESS": "EMAIL", "PHONE_NUMBER": "PHONE", "URL": "URL", "DATE_TIME": "DATE",
    "IBAN_CODE": "ACCOUNT_NUMBER", "NO_FNR": "NATIONAL_ID", "IP_ADDRESS": "OTHER_ID",
    "CREDIT_CARD": "ACCOUNT_NUMBER",
}


def deduce_engine():
    from deduce import Deduce

    engine = Deduce()

    def run(text):
        doc = engine.deidentify(text)
        _ = doc.deidentified_text
        return [
            (int(a.start_char), int(a.end_char), DEDUCE_LABELS.get(a.tag.split("_")[0].lower(), "OTHER_ID"))
            for a in doc.annotations
        ]

    return run


def presidio_engine():
    import spacy
    import tldextract

    # Presidio's e-mail and URL recognizers ask tldextract, which would fetch
    # the public suffix list over the network: use the bundled snapshot.
    tldextract.tldextract.TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=())
    from presidio_analyzer import AnalyzerEngine, Pattern, PatternRecognizer, RecognizerRegistry
    from presidio_analyzer.nlp_engine import SpacyNlpEngine
    from presidio_analyzer.predefined_recognizers import (
        CreditCardRecognizer, DateRecognizer, EmailRecognizer, IbanRecognizer,
        IpRecognizer, PhoneRecognizer, UrlRecognizer,
    )
    from presidio_anonymizer import AnonymizerEngine

    lang = "nb"
    nlp_engine = SpacyNlpEngine(models=[{"lang_code": lang, "model_name": "blank"}])
    nlp_engine.nlp = {lang: spacy.blank(lang)}  # a blank pipeline: no model download
    registry = RecognizerRegistry(supported_languages=[lang])
    for rec in (
        EmailRecognizer(supported_language=lang),
        PhoneRecognizer(supported_language=lang, supported_regions=("NO",)),
        UrlRecognizer(supported_language=lang),
        DateRecognizer(supported_language=lang),
        IbanRecognizer(supported_language=lang),
        IpRecognizer(supported_language=lang),
        CreditCardRecognizer(supported_language=lang),
        PatternRecognizer(
            supported_entity="NO_FNR", supported_language=lang,
            patterns=[Pattern("fnr", r"\b\d{6}\s?\d{5}\b", 0.6)],
        ),
    ):
        registry.add_recognizer(rec)
    analyzer = AnalyzerEngine(nlp_engine=nlp_engine, registry=registry, supported_languages=[lang])
    anonymizer = AnonymizerEngine()

    def run(text):
        results = analyzer.analyze(text=text, language=lang)
        anonymizer.anonymize(text=text, analyzer_results=results)
        return [(int(r.start), int(r.end), PRESIDIO_LABELS.get(r.entity_type, "OTHER_ID")) for r in results]

    return run


def main(tool, notes_path, out_path):
    run = {"deduce": deduce_engine, "presidio": presidio_engine}[tool]()
    notes = []
    with open(notes_path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                j = json.loads(line)
                notes.append((j["note_id"], j["text"]))
    run("Pasienten Kari Hansen, tlf 91234567, ble innlagt 12.03.2021.")  # warm-up
    found = []
    wall, cpu = time.perf_counter(), time.process_time()
    for note_id, text in notes:
        found.append((note_id, run(text)))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    with open(out_path, "w", encoding="utf-8") as out:
        for note_id, spans in found:
            for start, end, label in spans:
                out.write(json.dumps({"note_id": note_id, "start": start, "end": end, "label": label}) + "\n")
    nbytes = sum(len(t.encode("utf-8")) for _, t in notes)
    print(json.dumps({"tool": tool, "notes": len(notes), "bytes": nbytes, "seconds": wall, "cpu_seconds": cpu}))


if __name__ == "__main__":
    main(*sys.argv[1:4])
