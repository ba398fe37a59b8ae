//! The detector alone (rules + gazetteer + context, no register, no I/O)
//! on synthetic Norwegian notes. `cargo bench --bench deid`.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use norclin::deid::{Deid, DeidConfig};

/// Synthetic notes (no real person): varied identifiers around clinical prose.
fn corpus() -> Vec<String> {
    let templates = [
        "Epikrise for Kari Nordmann (fnr 13055810170), {A} år gammel kvinne fra Bergen. Innlagt {D}.03.2021, utskrevet 15/3-21. Bor i Storgata {A}B, 0155 Oslo. Tlf 22 11 {A} 44. Fastlege dr. Bjørgan ved Frogner legevakt. Datteren Liv Hansen er pårørende. Kontroll 3. mai 2021 hos K. Bjørgan. Bechterews sykdom utelukket. CRP {A}, Hb 12,3. BT 135/80, puls {A}. Pasienten har hatt økende tungpust over flere uker, ingen feber. Rtg thorax viste ingen infiltrater. Vi starter behandling med furosemid 40 mg x 1 og kontrollerer elektrolytter om en uke.\n",
        "Sykepleienotat kl {D}:30. Pas. sov godt i natt, spiste lite til frokost. Mobilisert til stol med hjelp av to. Sønnen Ole ringte og ble informert. Smerter VAS {D}, fikk Paracet 1 g. Sår i venstre legg stelt, tørt og rent. Hjemmetjenesten i Asker kontaktet vedr. utreise {D}.{D}. Ingen kvalme. Urinproduksjon adekvat.\n",
        "Operasjonsbeskrivelse. Operatør: overlege Per Johansen. Assistent: LIS Ingrid Berg. Indikasjon: akutt appendisitt hos {A}-årig mann. Laparoskopisk appendektomi uten komplikasjoner. Preparat sendt til patologi, rekvisisjonsnr. R{A}{A}{A}. Postoperativt: mobiliseres fritt, kontroll hos fastlege om 10 dager. Kopi til fastlege Anne Olsen, Sentrum legekontor.\n",
        "Henvisning til Revmatologisk poliklinikk. Gjelder {A} år gammel mann med morgenstivhet og smerter i småledd siden {Y}. Anti-CCP positiv, SR {A}. Spørsmål om oppstart av DMARD. Kontakt pasienten på mobil 912 34 {A}{D} eller e-post ola.hansen@example.no. HPR-nr 1234567. Med vennlig hilsen Turid Lie, fastlege.\n",
    ];
    let mut out = Vec::new();
    for i in 0..4000usize {
        let t = templates[i % templates.len()];
        out.push(
            t.replace("{A}", &(10 + i % 80).to_string())
                .replace("{D}", &(1 + i % 28).to_string())
                .replace("{Y}", &(1990 + i % 30).to_string()),
        );
    }
    out
}

fn bench(c: &mut Criterion) {
    let detector = Deid::build_detector(&DeidConfig::default(), Path::new("."))
        .unwrap_or_else(|e| panic!("detector: {e}"));
    let notes = corpus();
    let bytes: usize = notes.iter().map(String::len).sum();
    let mut g = c.benchmark_group("deid");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.sample_size(10);
    g.bench_function("detect", |b| {
        b.iter(|| {
            let mut n = 0;
            for t in &notes {
                n += detector.detect(black_box(t), "p").len();
            }
            n
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
