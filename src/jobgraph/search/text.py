"""French job titles to search tokens: folding, gender forms, abbreviations, stop words, stems,
character n-grams, and typo repair against the words the index knows."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from functools import lru_cache

# Function words, and the words that say where a job sits in a ladder or how it is offered
# ("niveau 2", "1er échelon", "H/F", "CDI", "junior"), not what it is.
STOP_WORDS = frozenset({
    "a", "afin", "ainsi", "au", "aux", "avec", "ce", "ces", "chez", "cette", "d", "dans", "de",
    "des", "du", "elle", "en", "entre", "et", "etc", "l", "la", "le", "les", "leur", "leurs",
    "lors", "ou", "par", "pour", "qu", "que", "qui", "s", "sa", "sans", "se", "ses", "son", "sur",
    "un", "une", "vers",
    "niveau", "niveaux", "echelon", "echelons", "degre", "er", "eme", "classe", "grade",
    "h", "f", "hf", "fh", "cdi", "cdd", "interim", "interimaire", "alternance", "alternant",
    "alternante", "apprenti", "apprentie", "apprentissage", "stage", "stagiaire", "junior",
    "senior", "confirme", "confirmee", "experimente", "experimentee", "debutant", "debutante",
    "temps", "plein", "partiel", "poste", "remplacant", "remplacante", "saisonnier",
    "saisonniere", "jr", "sr",
    "i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x",
})

# Words people shorten, with what they stand for. Only words that, cut this way, name one
# thing in job titles; several expansions when usage has several (the index keeps whichever
# the titles hold).
ABBREVIATIONS: Mapping[str, str] = {
    "admin": "administratif administrateur administration",
    "adm": "administratif administration",
    "asst": "assistant", "assist": "assistant", "ass": "assistant",
    "compta": "comptable comptabilite", "cpta": "comptable comptabilite",
    "com": "communication", "comm": "communication",
    "coord": "coordinateur coordination",
    "dev": "developpeur developpement", "devs": "developpeur",
    "dir": "direction directeur", "dirco": "directeur commercial",
    "educ": "educateur", "spe": "specialise",
    "elec": "electricien electricite",
    "gest": "gestionnaire gestion", "gestio": "gestionnaire",
    "ing": "ingenieur", "inge": "ingenieur",
    "info": "informatique", "infor": "informatique",
    "immo": "immobilier",
    "kine": "kinesitherapeute",
    "log": "logistique", "logist": "logistique",
    "manip": "manipulateur",
    "maths": "mathematiques", "math": "mathematiques",
    "meca": "mecanicien mecanique", "mecano": "mecanicien",
    "mgr": "manager",
    "pharma": "pharmacie pharmaceutique",
    "prepa": "preparateur preparatrice",
    "prof": "professeur",
    "instit": "instituteur professeur ecoles",
    "resp": "responsable", "respo": "responsable", "responsabl": "responsable",
    "resto": "restaurant restauration",
    "rh": "ressources humaines", "grh": "gestion ressources humaines",
    "secr": "secretaire", "secret": "secretaire",
    "sys": "systeme systemes", "sysadmin": "administrateur systeme",
    "tech": "technicien technique", "techn": "technicien", "techni": "technicien",
    "cuisto": "cuisinier",
    "plonge": "plongeur",
    "vrp": "commercial representant",
    "pl": "poids lourd", "spl": "super lourd poids lourd", "vl": "vehicule leger",
    "btp": "batiment travaux publics",
    "ehpad": "geriatrie personnes agees",
    "ide": "infirmier soins generaux",
    "ash": "agent service hospitalier",
    "avs": "auxiliaire vie",
    "els": "employe libre service",
    "daf": "directeur administratif financier",
    "drh": "directeur ressources humaines",
    "rrh": "responsable ressources humaines",
    "dsi": "directeur systemes information",
    "pdg": "president directeur general",
    "dg": "directeur general",
    "rssi": "responsable securite systemes information",
    "cp": "chef projet",
    "it": "informatique",
    "qse": "qualite securite environnement",
}

# Feminine endings and the masculine ones they come from, tried only when the masculine word is
# one the index knows ("vendeuse" -> "vendeur", "conseillère" -> "conseiller").
FEMININE_ENDINGS = (
    ("euse", "eur"), ("euses", "eurs"), ("trice", "teur"), ("trices", "teurs"),
    ("iere", "ier"), ("ieres", "iers"), ("ere", "er"), ("eres", "ers"),
    ("ienne", "ien"), ("iennes", "iens"), ("enne", "en"), ("onne", "on"),
    ("ive", "if"), ("ives", "ifs"), ("ee", "e"), ("ees", "es"), ("ette", "et"),
    ("esse", "e"), ("e", ""), ("es", "s"),
)

_PAREN_SUFFIX = re.compile(r"(\w)\s*\((?:e|ne|le|se|euse|rice|trice|ere|ère|ière|iere|ve|ive|"
                           r"es|s|x|te|ée|ee|esse)\)", re.IGNORECASE)
_JOB_BOARD = re.compile(r"\(?\b[hf]\s*/\s*[hf]\b\)?", re.IGNORECASE)
_NUMBER = re.compile(r"[0-9]+(?:er|re|e|eme|nd|nde|ieme)?")
_WORD = re.compile(r"[a-z0-9]+")


def fold(text: str) -> str:
    """Lower case, accents removed, œ and æ spelt out, single spaces."""
    text = text.casefold().replace("œ", "oe").replace("æ", "ae")
    decomposed = unicodedata.normalize("NFKD", text)
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def gender_forms(title: str) -> list[str]:
    """The titles a label with gender marks stands for, masculine first.

    "Chargé / Chargée d'accueil": the left side of the slash names the masculine words, the right
    side the feminine words and what follows ("Chargé d'accueil", "Chargée d'accueil").
    "Chargé(e) d'accueil", "Receveur(euse)": the mark in brackets is dropped. "H/F" is dropped.
    """
    title = _JOB_BOARD.sub(" ", title)
    title = _PAREN_SUFFIX.sub(r"\1", title)
    parts = [p.strip() for p in re.split(r"\s*/\s*", title) if p.strip()]
    if len(parts) != 2:
        return [" ".join(title.replace("/", " ").split())]
    left, right = parts[0].split(), parts[1].split()
    masculine = " ".join(left + right[len(left):])
    return [masculine, parts[1]] if masculine != parts[1] else [masculine]


def words(text: str) -> list[str]:
    """Folded words of a title, numbers and stop words out, abbreviations spelt out."""
    out: list[str] = []
    for w in _WORD.findall(fold(text).replace("'", " ").replace("’", " ")):
        if w in STOP_WORDS or _NUMBER.fullmatch(w):
            continue
        expansion = ABBREVIATIONS.get(w)
        if expansion:
            out.extend(expansion.split())
        else:
            out.append(w)
    return out


@lru_cache(maxsize=1)
def _stemmer() -> object:
    import snowballstemmer

    return snowballstemmer.stemmer("french")


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The Snowball French stem of a folded word (plurals, verb and some gender forms meet)."""
    return str(_stemmer().stemWord(word))  # type: ignore[attr-defined]


def masculine(word: str, known: Mapping[str, str] | frozenset[str] | set[str],
              pairs: Mapping[str, str]) -> str:
    """The masculine form of a folded word: from the pairs ROME's labels print, else by its ending
    when that gives a word of ``known``; the word itself otherwise."""
    if word in pairs:
        return pairs[word]
    if word in known:
        return word
    for fem, masc in FEMININE_ENDINGS:
        if word.endswith(fem) and len(word) - len(fem) >= 3:
            candidate = word[: len(word) - len(fem)] + masc
            if candidate in known:
                return candidate
    return word


def learn_pairs(labels: Iterable[str]) -> dict[str, str]:
    """Feminine -> masculine words read off labels of the form "Masc words / Fem words …":
    word i of the left side is the masculine of word i of the right side."""
    pairs: dict[str, str] = {}
    for label in labels:
        parts = [p for p in re.split(r"\s*/\s*", label) if p.strip()]
        if len(parts) != 2:
            continue
        left = [w for w in _WORD.findall(fold(parts[0]).replace("'", " "))]
        right = [w for w in _WORD.findall(fold(parts[1]).replace("'", " "))]
        for m, f in zip(left, right, strict=False):
            if m != f and f[:2] == m[:2]:
                pairs.setdefault(f, m)
    return pairs


def grams(word_list: Iterable[str], n: int = 3) -> list[str]:
    """Character n-grams of each word with its boundaries marked: a typo or a cut word still
    shares most of them ("acceuil" and "accueil": "#ac", "acc", "il#")."""
    out: list[str] = []
    for w in word_list:
        padded = f"#{w}#"
        if len(padded) <= n:
            out.append(padded)
        else:
            out.extend(padded[i:i + n] for i in range(len(padded) - n + 1))
    return out


__all__ = ["ABBREVIATIONS", "STOP_WORDS", "fold", "gender_forms", "grams", "learn_pairs",
           "masculine", "stem", "words"]
