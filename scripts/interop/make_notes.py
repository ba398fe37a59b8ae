"""Writes deterministic synthetic Norwegian notes (JSONL) for the interop
check and for memory measurements: `make_notes.py OUT.jsonl [COUNT]`."""
import json
import random
import sys

WORDS = (
    "pasienten ble innlagt på sykehuset med brystsmerter og tung pust hun fikk behandling "
    "intensiven utskrevet i går såret gror fint kontroll poliklinikken om to uker blodprøver "
    "tas før søvnig men vaken orientert kvelden eg ikkje sjukepleiar hjartesvikt røntgen "
    "thorax viste ingen fortetninger CRP 45 mg/L Paracet 1g x 4 kafé Ærlig Øvre Åsgård "
    "naïve Bechterew Crohn EKG: sinusrytme, 72/min. BT 135/85 (sittende)"
).split()
DOC_TYPES = ["epikrise", "sykepleienotat", "operasjonsbeskrivelse", "henvisning"]


def main(path: str, count: int = 400) -> None:
    rng = random.Random(1234)
    with open(path, "w", encoding="utf-8") as f:
        for i in range(count):
            n = 600 if i % 23 == 5 else rng.randint(5, 150)
            words = [rng.choice(WORDS) for _ in range(n)]
            text = " ".join(words)
            if i % 7 == 0:
                text = text.upper()
            f.write(json.dumps({
                "note_id": f"n{i:04}",
                "patient_id": f"p{i // 4:03}",
                "doc_type": DOC_TYPES[i % len(DOC_TYPES)],
                "text": text,
            }, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 400)
