"""The only words the composer writes itself: connectives, openings, closings, questions.

None of these states a fact about Salesforce or the user's org; facts come from sources.
`TEMPLATE_PHRASES` lists every one (with `{name}` where a value is filled in), so a test can
check that every other sentence of a reply is copied from its evidence.
"""

from __future__ import annotations

from sfagent.responder.composer_types import EmotionalStrategy

# Openings and closings by emotional strategy. Closings never ask a question, so a
# clarification reply carries exactly the one question it is for.
OPENINGS: dict[EmotionalStrategy, str] = {
    EmotionalStrategy.APOLOGETIC_EXPEDITE: "Sorry for the trouble.",
    EmotionalStrategy.EMPATHETIC_ESCALATE: "I am sorry about this; I understand it is frustrating.",
    EmotionalStrategy.CLARIFYING: "Let me walk you through it.",
    EmotionalStrategy.REINFORCING: "Happy to help.",
    EmotionalStrategy.PROFESSIONAL: "",
}
FASTEST_FIX_FIRST = "Here is the fastest fix first."
OFFER_PERSON_NOW = "If you would rather talk to a person, just say so and I will bring one in now."
CLOSINGS: dict[EmotionalStrategy, str] = {
    EmotionalStrategy.APOLOGETIC_EXPEDITE: (
        "If this does not fix it, I can bring in a person right away."
    ),
    EmotionalStrategy.EMPATHETIC_ESCALATE: "A person can take over at any time. Just ask.",
    EmotionalStrategy.CLARIFYING: "If a step is unclear, tell me which one and I will explain it.",
    EmotionalStrategy.REINFORCING: "Let me know how it goes.",
    EmotionalStrategy.PROFESSIONAL: "Let me know if you need anything else.",
}

# Answers.
CAUSE_INTRO = "Here is what usually causes this:"
BACKGROUND_INTRO = "Some background:"
ABOUT_INTRO = "Here is what I found:"
FIX_STEPS_INTRO = "To fix it, follow these steps:"
STEPS_INTRO = "Follow these steps:"
STEPS_INTRO_SHORT = "Steps:"
CHECKS_INTRO = "How to check that it worked:"
CODE_INTRO = "Example from the source:"
RELATED_INTRO = "Related reading:"
ALTERNATIVE_INTRO = "If that does not match what you see, this may be the cause instead:"
SUPPORTING_INTRO = "For more background, see:"
SOURCES_HEADING = "Sources:"
ERROR_MENTIONED = "This is about the {error} error you mentioned."
OBJECT_MENTIONED = "You asked about {object}; the source below mentions it."

# Diagnosis labels.
WHERE_LABEL = "Where"
WHY_LABEL = "Why it happens"
LIMIT_LABEL = "Limit"
FIX_LABEL = "How to fix it"
REWRITE_LABEL = "Your code, rewritten:"
REFERENCE_LABEL = "Reference"
ALSO_NOTICED = "I also noticed:"
GOVERNOR_LABEL = "Governor-limit exposure"

# Not knowing.
DONT_KNOW = "I do not know the answer to this, and I found nothing about it in my sources."
YOU_WROTE = "You wrote: “{excerpt}”"
DONT_KNOW_NEXT = "Tell me more about what you see, or ask for a person and one will take over."

# Clarification: the one question, by the slot that is missing.
NEED_ONE_DETAIL = "To point you to the right answer, I need one detail."
SLOT_QUESTIONS: dict[str, str] = {
    "object": "Which object is this about?",
    "field": "Which field is this about?",
    "error": "What is the exact error message you see?",
    "feature": "Which feature are you using?",
    "product": "Which product is this about?",
    "api_version": "Which API version are you using?",
    "record_id": "Which record is affected?",
    "org_id": "Which org is this happening in?",
}
GENERIC_QUESTION = "Could you tell me a little more about the problem?"
OPTIONS_INTRO = "For example:"
OWN_WORDS = "Or describe it in your own words."

# Escalation.
HANDOFF = "I am handing this conversation to a person."
HANDOFF_WHY_LABEL = "Why"
NEXT_LABEL = "What happens next"
DEFAULT_NEXT_STEP = "A support engineer will reply here."
FOUND_SO_FAR = "What I found so far"
WHILE_YOU_WAIT = "While you wait, this may help:"

# The dialogue around an answer: confirming the fix, rating, topics, the next step.
CONFIRM_QUESTION = "Did this fix it? Reply yes, or tell me what you see now."
FIX_CONFIRMED = "Glad that fixed it."
CSAT_QUESTION = "How would you rate this conversation, from 1 (poor) to 5 (excellent)?"
CSAT_THANKS = "Thank you for rating this conversation {score} out of 5."
CSAT_LOW = (
    "Sorry it fell short. If something is still not right, tell me here and I will pick it up."
)
OPEN_TOPIC_REMINDER = (
    "You also asked about your {topic}; say “back to {topic}” to continue with it."
)
BACK_TO_TOPIC = "Back to your {topic}."
SWITCHED_TOPIC = "Let us look at your {topic} first; your {previous} question is kept for later."
NEXT_BEST_STEP = "Sorry that did not fix it. Here is the next thing to try."
SEVERAL_TOPICS = "You asked about {count} things; I will take them in order."
TOPIC_HEADING = "{number}. Your {topic}"

TEMPLATE_PHRASES: tuple[str, ...] = (
    *(phrase for phrase in OPENINGS.values() if phrase),
    FASTEST_FIX_FIRST,
    OFFER_PERSON_NOW,
    *CLOSINGS.values(),
    CAUSE_INTRO,
    BACKGROUND_INTRO,
    ABOUT_INTRO,
    FIX_STEPS_INTRO,
    STEPS_INTRO,
    STEPS_INTRO_SHORT,
    CHECKS_INTRO,
    CODE_INTRO,
    RELATED_INTRO,
    ALTERNATIVE_INTRO,
    SUPPORTING_INTRO,
    SOURCES_HEADING,
    ERROR_MENTIONED,
    OBJECT_MENTIONED,
    WHERE_LABEL,
    WHY_LABEL,
    LIMIT_LABEL,
    FIX_LABEL,
    REWRITE_LABEL,
    REFERENCE_LABEL,
    ALSO_NOTICED,
    GOVERNOR_LABEL,
    DONT_KNOW,
    YOU_WROTE,
    DONT_KNOW_NEXT,
    NEED_ONE_DETAIL,
    *SLOT_QUESTIONS.values(),
    GENERIC_QUESTION,
    OPTIONS_INTRO,
    OWN_WORDS,
    HANDOFF,
    HANDOFF_WHY_LABEL,
    NEXT_LABEL,
    DEFAULT_NEXT_STEP,
    FOUND_SO_FAR,
    WHILE_YOU_WAIT,
    CONFIRM_QUESTION,
    FIX_CONFIRMED,
    CSAT_QUESTION,
    CSAT_THANKS,
    CSAT_LOW,
    OPEN_TOPIC_REMINDER,
    BACK_TO_TOPIC,
    SWITCHED_TOPIC,
    NEXT_BEST_STEP,
    SEVERAL_TOPICS,
    TOPIC_HEADING,
)
