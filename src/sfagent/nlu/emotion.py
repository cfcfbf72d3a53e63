"""Emotion of a support message: a label, an intensity 1-5 and a score per emotion."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sfagent.nlu.entities import Entity, EntityType
from sfagent.nlu.entities.phrases import PhraseMatcher, Tokens, tokenize
from sfagent.nlu.entities.prose import prose_view

EMOTIONS = ("frustration", "anger", "fear", "confusion", "sadness", "surprise", "joy")
NEUTRAL = "neutral"

# Our own lexicon, written for customer-support messages. Weights: 0.5 a hint, 1 clear, 2 strong,
# 3 extreme. A phrase may be listed under several emotions; weight 0 neutralises a phrase
# ("thanks in advance" is politeness, not joy) because the longest phrase wins.
_LEXICON: dict[str, dict[float, str]] = {
    "joy": {
        0.0: "thanks in advance|thank you in advance|thanks for your help in advance|"
        "would be great|would be nice|would be awesome|would love|great question|good morning|"
        "good afternoon|good evening|good day|no good|good to know",
        0.8: "thanks|thank you|thx|nice|cool|good|helpful|glad|pleased|happy|great|appreciated",
        1.5: "awesome|amazing|fantastic|excellent|wonderful|brilliant|perfect|love|love it|"
        "so helpful|very helpful|appreciate it|much appreciated|great job|well done|nice work|"
        "works now|working now|that worked|it worked|that fixed it|fixed it|problem solved|"
        "issue resolved|all good now|excited|yay|hooray|thank you so much|thanks so much|"
        "thanks a lot|many thanks|works perfectly|like a charm",
        2.5: "you're the best|you are the best|lifesaver|life saver|you saved me|you saved us|"
        "delighted|thrilled|overjoyed|best support ever|finally works|finally working",
    },
    "anger": {
        1.0: "annoyed|upset|mad|ridiculous|absurd|nonsense|pathetic|incompetent|useless|"
        "terrible|horrible|awful|worst|bad service|poor service|hate|hate this|damn|crap|"
        "bullshit|wtf|hell",
        2.0: "angry|furious|livid|outraged|outrageous|unacceptable|disgusted|disgraceful|"
        "pissed|pissed off|fuming|insulting|shameful|terrible service|worst support|"
        "cancel our contract|cancel our subscription|cancel my subscription|"
        "moving to another vendor|speak to your manager|talk to a manager|"
        "fuck|fucking|shit",
        3.0: "legal action|our lawyers|lawsuit|sue you|absolutely unacceptable|"
        "completely unacceptable|beyond frustrating",
    },
    "frustration": {
        0.6: "again|still|keeps|keep getting|every time|each time|seriously|come on|"
        "stuck|blocked|broken|not working|doesn't work|does not work|isn't working|"
        "won't work|not loading|won't load|won't save|can't save|failing|fails|failed",
        1.2: "frustrated|frustrating|annoying|irritating|irritated|tired of|sick of|fed up|"
        "yet again|once again|still broken|still not working|still failing|still happening|"
        "still waiting|still getting|keeps failing|keeps crashing|keeps happening|"
        "keeps breaking|third time|fourth time|fifth time|second time|nth time|"
        "umpteenth time|how many times|how many more times|nothing works|nothing is working|"
        "waste of time|wasted hours|wasted days|hours on this|days on this|going in circles|"
        "no response|no reply|nobody responded|nobody replied|no one responded|"
        "no one has responded|waiting for days|waiting for weeks|ugh|argh|sigh|headache|"
        "pain|struggling|can't figure out|cannot figure out|impossible|tried everything|"
        "escalate this|please escalate",
        2.0: "nightmare|so frustrating|extremely frustrating|very frustrating|at my wits end|"
        "losing my mind|driving me crazy|drives me crazy|had enough|fed up with",
    },
    "fear": {
        0.6: "urgent|urgently|asap|critical|risk|concerned|concern|deadline",
        1.2: "worried|worry|worrying|nervous|anxious|afraid|scared|panic|panicking|"
        "at risk|data loss|lose data|lost data|losing data|lose all|lost all|"
        "deadline tomorrow|deadline today|due tomorrow|go-live|go live|going live|"
        "launch tomorrow|before the deadline|audit next week|failed audit|security breach|"
        "breach|hacked|compromised|production is down|prod is down|production down|"
        "can't afford|cannot afford|emergency|can't lose",
        2.0: "terrified|very worried|really worried|so worried|freaking out|get fired|"
        "lose my job|my job is on the line|all our data|catastrophic|disaster",
    },
    "sadness": {
        0.8: "unfortunately|sadly|too bad|shame|pity|sorry to say|bummer",
        1.5: "sad|disappointed|disappointing|unhappy|let down|let us down|gave up|give up|"
        "giving up|hopeless|depressing|depressed|regret|miss the old|heartbroken|"
        "lost hope|not happy|unhappy with",
        2.5: "devastated|very disappointed|so disappointed|extremely disappointed|"
        "deeply disappointed|crushed",
    },
    "surprise": {
        0.7: "strange|weird|odd|randomly|mysteriously|suddenly|somehow|unusual|bizarre",
        1.5: "wow|whoa|woah|surprised|surprising|unexpected|unexpectedly|out of nowhere|"
        "all of a sudden|didn't expect|did not expect|never seen|never happened before|"
        "can't believe|cannot believe|shocked|shocking|astonished",
        2.5: "totally unexpected|completely unexpected|mind blown|speechless",
    },
    "confusion": {
        0.7: "why|how come|which one|not sure|unsure|wondering|any idea|any ideas|"
        "how do i|how can i|what is|what's|explain|clarify|clarification",
        1.5: "confused|confusing|don't understand|do not understand|dont understand|"
        "doesn't make sense|does not make sense|makes no sense|no idea|unclear|not clear|"
        "what does this mean|what does that mean|what does it mean|what am i missing|"
        "am i missing something|i'm lost|i am lost|puzzled|baffled|clueless|don't get it|"
        "dont get it|i don't get|what's the difference|difference between|can someone explain|"
        "can you explain|why does|why is|why would|why doesn't|why isn't|why won't",
        2.5: "completely lost|totally lost|totally confused|completely confused|so confused|"
        "very confused|makes absolutely no sense|no clue|i have no idea",
    },
}

_EMOJI: dict[str, tuple[str, float]] = {
    **dict.fromkeys("😀😃😄😁😊🙂😍🥳🎉👍🙏❤", ("joy", 1.0)),
    **dict.fromkeys("😡😠🤬👎", ("anger", 1.5)),
    **dict.fromkeys("😤😩😫🙄", ("frustration", 1.2)),
    **dict.fromkeys("😨😰😱", ("fear", 1.5)),
    **dict.fromkeys("😢😞😔😭☹", ("sadness", 1.2)),
    **dict.fromkeys("😮😲🤯", ("surprise", 1.2)),
    **dict.fromkeys("😕🤔😖🤷", ("confusion", 1.0)),
}

_NEGATORS = frozenset(
    [
        "not",
        "no",
        "never",
        "don't",
        "doesn't",
        "didn't",
        "isn't",
        "wasn't",
        "aren't",
        "weren't",
        "won't",
        "can't",
        "cannot",
        "hardly",
        "without",
        "dont",
        "doesnt",
        "didnt",
        "isnt",
        "wasnt",
        "arent",
        "cant",
        "wont",
    ]
)
_INTENSIFIERS = frozenset(
    [
        "so",
        "very",
        "really",
        "extremely",
        "totally",
        "completely",
        "super",
        "incredibly",
        "absolutely",
        "truly",
    ]
)
_AROUSED = frozenset({"anger", "frustration", "fear", "joy", "surprise"})
_TECHNICAL_CAPS = frozenset(
    [
        "API",
        "SOQL",
        "SOSL",
        "DML",
        "CPU",
        "URL",
        "SSO",
        "MFA",
        "SAML",
        "JWT",
        "REST",
        "SOAP",
        "JSON",
        "XML",
        "CSV",
        "LWC",
        "CRM",
        "CPQ",
        "FSC",
        "NPSP",
        "HTTP",
        "HTTPS",
        "OAUTH",
        "SDK",
        "CLI",
        "SFDX",
        "PDF",
        "ETA",
        "UTC",
        "GMT",
        "USA",
        "FAQ",
        "KB",
        "SLA",
        "CSAT",
        "VIP",
        "PST",
        "EST",
        "CET",
    ]
)
_WORD = re.compile(r"[^\W\d_]{3,}")
_NEUTRAL_BELOW = 0.8
_INTENSITY_STEPS = (1.0, 2.0, 3.2, 4.5)  # raw score boundaries between intensities 1..5


@dataclass(frozen=True, slots=True)
class Emotion:
    """The dominant emotion (or "neutral"), its intensity (0 for neutral, else 1-5) and scores."""

    label: str
    intensity: int
    scores: Mapping[str, float] = field(default_factory=dict, hash=False)


def _build_matcher() -> PhraseMatcher[tuple[tuple[str, float], ...]]:
    merged: dict[str, list[tuple[str, float]]] = {}
    for emotion, by_weight in _LEXICON.items():
        for weight, phrases in by_weight.items():
            for phrase in phrases.split("|"):
                merged.setdefault(phrase.strip(), []).append((emotion, weight))
    return PhraseMatcher((phrase, tuple(pairs), False) for phrase, pairs in merged.items())


_MATCHER = _build_matcher()


def detect_emotion(text: str, *, entities: Sequence[Entity] | None = None) -> Emotion:
    """Score each emotion from the lexicon and cues (caps, "!", "?", repetition) in the prose."""
    code_spans = None
    if entities is not None:
        code_spans = [(e.start, e.end) for e in entities if e.type is EntityType.CODE]
    prose = prose_view(text, code_spans)
    tokens = tokenize(prose)
    raw = dict.fromkeys(EMOTIONS, 0.0)
    _add_lexicon_hits(tokens, raw)
    _add_emoji(prose, raw)
    _add_punctuation_and_caps(prose, tokens, raw)
    return _decide(raw)


def _add_lexicon_hits(tokens: Tokens, raw: dict[str, float]) -> None:
    for hit in _MATCHER.find(tokens):
        before = tokens.lower[max(0, hit.first - 3) : hit.first]
        negated = any(word in _NEGATORS for word in before)
        boost = 1.5 if before and before[-1] in _INTENSIFIERS else 1.0
        for emotion, weight in hit.payload:
            if negated and emotion != "confusion":
                # "not happy" reads as let down; a negated negative emotion is no emotion.
                if emotion == "joy":
                    raw["frustration"] += 0.5 * weight
                continue
            raw[emotion] += weight * boost


def _add_emoji(prose: str, raw: dict[str, float]) -> None:
    if prose.isascii():
        return
    for char in prose:
        found = _EMOJI.get(char)
        if found is not None:
            raw[found[0]] += found[1]


def _add_punctuation_and_caps(prose: str, tokens: Tokens, raw: dict[str, float]) -> None:
    exclamations = min(prose.count("!"), 6)
    questions = prose.count("?")
    shouting = _is_shouting(prose)
    arousal = 1.0 + 0.12 * exclamations + (1.0 if shouting else 0.0)
    for emotion in _AROUSED:
        raw[emotion] *= arousal
    if shouting and max(raw.values()) < _NEUTRAL_BELOW:
        raw["frustration"] += 1.0  # shouting with no emotion words is still not calm
    if questions >= 2 and (raw["confusion"] > 0 or questions >= 3):
        raw["confusion"] += 0.4 * min(questions, 6)
    if "??" in prose and len(tokens) > 0:
        raw["confusion"] += 0.5


def _is_shouting(prose: str) -> bool:
    words = _WORD.findall(prose)
    if len(words) < 3:
        return False
    caps = [word for word in words if word.isupper() and word not in _TECHNICAL_CAPS]
    return len(caps) >= 3 and len(caps) >= 0.5 * len(words)


def _decide(raw: dict[str, float]) -> Emotion:
    scores = {emotion: round(value / (value + 2.0), 4) for emotion, value in raw.items()}
    # Ties go to the earlier emotion in EMOTIONS (the more actionable one for support).
    best = max(EMOTIONS, key=lambda emotion: (raw[emotion], -EMOTIONS.index(emotion)))
    if raw[best] < _NEUTRAL_BELOW:
        return Emotion(NEUTRAL, 0, scores)
    intensity = 1 + sum(raw[best] >= step for step in _INTENSITY_STEPS)
    return Emotion(best, intensity, scores)
