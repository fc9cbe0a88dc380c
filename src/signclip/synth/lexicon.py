"""The dictionary: concepts (English words) × sign languages → sign forms.

Each sign language realises each concept by its own form, drawn from a seed of (dataset seed,
concept, language). A share of concepts (`iconicity`, decided per concept with one uniform draw,
so raising it only adds iconic concepts) have one form shared by every language, each language
possibly differing in size or repetitions, as iconic signs do across real sign languages. A share
of the rest (`minimal_pairs`) copy the form of a nearby concept of the same language and change
one major parameter: near-collisions that make recognition harder than random forms would.

Forms are pure functions of their keys, so any worker computes any form without coordination.
"""

from __future__ import annotations

import functools

import numpy as np

from signclip.synth.phonology import SignForm, change_one, sample_form, vary_slightly

# Seed-stream tags: each kind of random decision draws from its own stream.
TAG_ICONIC, TAG_SHARED, TAG_VARY, TAG_FORM = 1, 2, 3, 4
_VARY_P = 0.5  # how often a language's iconic form differs slightly from the shared one
_PAIR_REACH = 20  # a minimal pair's partner is one of the previous concepts up to this far

# Real ISO 639-3 codes of sign languages first (those of Spreadthesign and of the fingerspelling
# recordings among them); more languages get codes of ISO 639-3's local-use range qaa-qtz.
SIGN_LANGUAGES = (
    "ase", "bfi", "gsg", "fsl", "ssp", "ise", "swl", "sgg", "jsl", "csl", "asf", "nzs", "rsl",
    "pso", "bzs", "mfs", "psr", "dse", "vgt", "fse", "dsl", "nsl", "icl", "gss", "tsm", "isr",
    "ukl", "lsl", "lls", "eso", "csc", "aed", "csg", "csn", "cse", "svk", "hsh", "rms", "bqn",
    "ins", "kvk", "sfs", "isg", "csq",
)  # fmt: skip
_LOCAL = tuple(f"q{a}{b}" for a in "abcdefghijklmnopqrst" for b in "abcdefghijklmnopqrstuvwxyz")
MAX_LANGUAGES = len(SIGN_LANGUAGES) + len(_LOCAL)

# Everyday concepts, the kind a sign dictionary starts with; beyond them come numbered variants
# ("house 2"), each a concept of its own.
_WORDS = """
house home school work book table chair door window bed kitchen room city country village
street car bus train plane boat bicycle road bridge water fire air earth sun moon star sky
rain snow wind cloud tree flower grass forest river sea mountain lake island beach animal dog
cat horse cow pig sheep bird fish chicken mouse rabbit lion bear snake monkey elephant insect
mother father sister brother child baby family friend man woman boy girl teacher doctor nurse
police student king queen neighbour people name age birthday morning evening night day week
month year today tomorrow yesterday now time hour minute clock spring summer autumn winter
hot cold warm cool wet dry big small long short tall heavy light fast slow new old young good
bad beautiful ugly happy sad angry afraid tired sick healthy hungry thirsty full empty rich
poor easy difficult strong weak clean dirty quiet loud open closed right wrong same different
true false eat drink sleep walk run swim fly drive sit stand jump dance sing play read write
draw cook wash buy sell pay give take bring send find lose look see watch hear listen speak
say tell ask answer call meet help love like hate want need know think understand remember
forget learn teach try begin finish stop wait come go leave arrive stay live die grow change
build break cut carry hold push pull throw catch fall win fight kiss laugh cry smile feel
bread milk egg meat apple orange banana cheese rice soup coffee tea sugar salt cake butter
money shop market bank hospital church office restaurant hotel park garden farm factory
library museum station airport computer phone television radio letter paper pen picture
photo music song film game ball sport football holiday party gift card key bag box bottle cup
plate knife fork spoon shirt dress shoe hat coat glove sock colour red blue green yellow black
white brown grey pink purple one two three four five six seven eight nine ten hundred
thousand first last many few all some more less every other question problem idea story news
word language sign deaf hearing world history science art health medicine body head face eye
ear nose mouth tooth hand arm leg foot heart blood hair skin voice weather war peace law
government president election vote freedom danger accident emergency fire-brigade ambulance
internet email video camera address number price cheap expensive free busy ready sure maybe
why what who where when how yes no please thank sorry hello goodbye welcome congratulations
"""
CONCEPTS = tuple(_WORDS.split())


def language_code(index: int) -> str:
    if index < len(SIGN_LANGUAGES):
        return SIGN_LANGUAGES[index]
    if index < MAX_LANGUAGES:
        return _LOCAL[index - len(SIGN_LANGUAGES)]
    raise ValueError(f"at most {MAX_LANGUAGES} sign languages, asked for language {index}")


def concept_word(index: int) -> str:
    word = CONCEPTS[index % len(CONCEPTS)]
    round_ = index // len(CONCEPTS)
    return word if round_ == 0 else f"{word} {round_ + 1}"


def stream(seed: int, *key: int) -> np.random.Generator:
    """The random stream of one decision, independent of every other key's."""
    return np.random.default_rng(np.random.SeedSequence([seed, *key]))


def is_iconic(seed: int, concept: int, iconicity: float) -> bool:
    return bool(stream(seed, TAG_ICONIC, concept).random() < iconicity)


@functools.lru_cache(maxsize=65536)
def sign_form(
    seed: int, concept: int, language: int, iconicity: float, minimal_pairs: float
) -> SignForm:
    """The form of `concept` in sign language `language`."""
    if is_iconic(seed, concept, iconicity):
        shared = sample_form(stream(seed, TAG_SHARED, concept))
        rng = stream(seed, TAG_VARY, concept, language)
        return vary_slightly(shared, rng) if rng.random() < _VARY_P else shared
    rng = stream(seed, TAG_FORM, concept, language)
    if concept > 0 and rng.random() < minimal_pairs:
        partner = concept - 1 - int(rng.integers(min(concept, _PAIR_REACH)))
        return change_one(sign_form(seed, partner, language, iconicity, minimal_pairs), rng)
    return sample_form(rng)
