"""Span finders for health data (HIPAA): medical record numbers, conditions, drugs, allergies.

A condition or drug name alone is not personal ("the diabetes care program"); it becomes so
when the words around it tie it to someone: a diagnosis or history, a person who has it, a
dose, an allergy, a clinical record. Names that are also everyday words ("stroke", "CHF") ask
for clinical words, not just "has".
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator

import re2  # type: ignore[import-untyped]

from sfagent.security.pii_hl7 import find_hl7_health_details, find_hl7_record_numbers
from sfagent.security.pii_patterns import Span, triggered

# --- medical record number -----------------------------------------------------------------

_MRN_LABEL = (
    r"\bmrns?|\bmr\s?(?:#|no\.?|num(?:ber)?)|\bmedical[ _]?records?(?:[ _]?(?:number|no\.?|num"
    r"|id|#))?|\bmed[ _]?rec(?:ord)?[ _]?(?:#|no\.?|num(?:ber)?|id)?"
    r"|\bpatient[ _\-]?(?:id|number|no\.?|#)|\bhealth[ _]?record[ _]?(?:number|no\.?|id)"
    r"|\bchart[ _]?(?:number|no\.?|#|id)|\bhospital[ _]?(?:number|no\.?|id)"
    r"|\be[hm]r[ _]?(?:id|number|no\.?|#)"
    # "número de historia clínica", "dossier patient n°", "Patientennummer", "prontuário".
    r"|\bhistoria\s+cl[ií]nica|\bn[uú]mero\s+de\s+(?:historia|paciente|expediente)"
    r"|\bexpediente(?:\s+m[ée]dico)?|\bdossier\s+(?:patient|m[ée]dical)"
    r"|\bpatienten[ \-]?(?:nummer|nr\.?|id)"
    r"|\bfallnummer|\bnum[ée]ro\s+(?:de\s+)?(?:patient|dossier)|\bprontu[aá]rio"
)
# "n° DP-2291045", "Nr. 4471932", "núm. 33412": a number sign between the label and the value.
_NUMBER_SIGN = r"(?:\s*(?i:n[°º]|nr\.?|núm\.?|no\.))?"
# "A1029384", "MR-5521097", "0049-221-87": an optional prefix, then digit groups.
_MRN_VALUE = r"(?P<v>(?:[A-Z]{1,4}-?)?\d{2,12}(?:-\d{1,8}){0,3})(?![\w\-])"
_MEDICAL_RECORD = triggered(
    rf"(?i:{_MRN_LABEL})(?:__c)?[\"']?{_NUMBER_SIGN}\s*(?:(?i:is|was|of)\s+)?[:#=\-]?\s*[\"']?#?\s*"
    rf"{_MRN_VALUE}",
    r"(?i:mrn|mr\s?[#n]|medical|med[ _]?rec|patient|health[ _]?record|chart|hospital|[eh]mr"
    r"|historia|paciente|expediente|dossier|fallnummer|num[ée]ro|prontu)",
    before=24,
    after=90,
)
# "MRNs 60017734 and 60017743": the label covers every number of the list.
_NEXT_IN_LIST = re.compile(rf"\s*(?:,|/|&|(?i:and|or))\s*#?\s*{_MRN_VALUE}")
_MIN_MRN_DIGITS = 5


def find_medical_records(text: str) -> Iterator[Span]:
    """Medical record numbers after an MRN / medical record / patient id label, and in HL7."""
    for label in _MEDICAL_RECORD.finditer(text):
        match: re.Match[str] | None = label
        while match is not None and sum(c.isdigit() for c in match.group("v")) >= _MIN_MRN_DIGITS:
            yield match.span("v")
            match = _NEXT_IN_LIST.match(text, match.end())
    yield from find_hl7_record_numbers(text)


# --- conditions, drugs, allergies ----------------------------------------------------------

_CONDITIONS = (
    r"(?:type\s?(?:1|2|I|II|one|two)\s+)?diabet(?:es|ic|is)(?:\s+(?:mellitus|gestacional|gestational"
    r"|gestationnel|insipidus))?(?:\s+(?:type|typ|tipo)\s?(?:1|2|I|II))?|hiv|aids|(?:stage\s+\w+\s+)?"
    r"(?:(?:breast|lung|prostate|colon|colorectal|skin|ovarian|pancreatic|cervical|bladder"
    r"|thyroid|brain)\s+)?cancer|asthma(?:tic)?|melanoma|carcinoma|sarcoma|myeloma|tumou?rs?"
    r"|(?:major\s+|postpartum\s+|clinical\s+)?depressi(?:on|ve\s+disorder)"
    r"|(?:generali[sz]ed\s+)?anxiety(?:\s+disorder)?|panic\s+(?:attacks?|disorder)"
    r"|bipolar(?:\s+disorder)?|schizo(?:phrenia|affective(?:\s+disorder)?)|hypertension"
    r"|high\s+(?:blood\s+pressure|cholesterol)|epilep(?:sy|tic)|copd|emphysema|bronchitis"
    r"|hepatitis(?:\s+[abc])?|cirrhosis|pancreatitis|tuberculosis|alzheimer'?s(?:\s+disease)?"
    r"|parkinson'?s(?:\s+disease)?|multiple\s+sclerosis|huntington'?s(?:\s+disease)?"
    r"|muscular\s+dystrophy|cerebral\s+palsy|leukemia|lymphoma|pneumonia|sepsis|mrsa"
    r"|(?:long\s+)?covid(?:-19)?|(?:congestive\s+)?heart\s+(?:disease|failure|attack)"
    r"|cardiac\s+arrest|atrial\s+fibrillation|arrhythmia|angina|cardiomyopathy"
    r"|(?:deep\s+vein\s+)?thrombosis|pulmonary\s+embolism|aneurysm|an(?:a)?emi(?:a|c)"
    r"|(?:rheumatoid\s+|psoriatic\s+|osteo)?arthritis|osteoporosis|fibromyalgia|dementia"
    r"|adhd|autis(?:m|tic)|ptsd|celiac\s+disease|crohn'?s(?:\s+disease)?|ulcerative\s+colitis"
    r"|irritable\s+bowel\s+syndrome|(?:chronic\s+)?kidney\s+(?:disease|failure)"
    r"(?:,?\s+stage\s+(?:[1-5][ab]?|I{1,3}V?|IV|V))?|renal\s+failure"
    r"|liver\s+disease|dialysis|migraines?|obesity|sleep\s+apnea|insomnia|narcolepsy"
    r"|hypo(?:thyroidism|glyc[a]?emia)|hyperthyroidism|hyperlipid[a]?emia"
    r"|(?:opioid|substance|alcohol)\s+use\s+disorder|alcoholism|addiction|eating\s+disorder"
    r"|anorexia|bulimia|lupus|sickle\s+cell(?:\s+(?:disease|anemia))?|cystic\s+fibrosis"
    r"|glaucoma|cataracts?|macular\s+degeneration|hemophilia|aphasia|dysphagia|endometriosis"
    r"|infertility|miscarriage|psoriasis|eczema|herpes|chlamydia|gonorrh[o]?ea|syphilis|hpv"
    r"|shingles|concussion|traumatic\s+brain\s+injury|spinal\s+cord\s+injury|paraplegi[ac]"
    r"|quadriplegi[ac]|down\s+syndrome|tourette'?s(?:\s+syndrome)?|ocd|suicidal\s+\w+|self-harm"
    # Spanish, Portuguese, French, German and Italian names of the commonest ones.
    r"|asma|asthme|epilepsi[ae]|[ée]pilepsie|diab[ée]t(?:ique|ico|ica|iker(?:in)?)"
    r"|hipertensi[óo]n|hipertens[ãa]o|bluthochdruck|depresi[óo]n|d[ée]pression|c[áa]ncer|krebs"
    r"|ansiedad|anxi[ée]t[ée]|angstst[öo]rung|vih|sida|d[ée]mence|demencia|demenz"
    r"|insuficiencia\s+renal|insuffisance\s+r[ée]nale|niereninsuffizienz|alzheimer"
    r"|esquizofrenia|schizophr[ée]nie|trastorno\s+bipolar|trouble\s+bipolaire"
)
# Everyday words or abbreviations that are also conditions: only after clinical words.
_AMBIGUOUS_CONDITIONS = r"strokes?|seizures?|chf|htn|ckd|cad|dvt|afib|a-fib|gerd|esrd|t[12]dm|tbi"
_MEDICATIONS = (
    r"metformin|insulin|sertraline|fluoxetine|prozac|zoloft|lexapro|escitalopram|citalopram"
    r"|bupropion|venlafaxine|duloxetine|trazodone|adderall|ritalin|methylphenidate|oxycodone"
    r"|hydrocodone|methadone|buprenorphine|suboxone|fentanyl|morphine|tramadol|codeine|warfarin"
    r"|levothyroxine|synthroid|amlodipine|nifedipine|albuterol|ventolin|gabapentin|pregabalin"
    r"|lyrica|lithium|truvada|biktarvy|prednisone|ozempic|wegovy|mounjaro|semaglutide"
    r"|tirzepatide|xanax|alprazolam|lorazepam|clonazepam|diazepam|valium|ativan|klonopin"
    r"|chemotherapy|radiotherapy|humira|keytruda|methotrexate|eliquis|xarelto|plavix"
    r"|clopidogrel|aspirin|ibuprofen|acetaminophen|paracetamol|furosemide|lasix|spironolactone"
    r"|hydrochlorothiazide|omeprazole|pantoprazole|losartan|tamoxifen|antiretrovirals?"
    r"|antidepressants?|antipsychotics?|naltrexone|naloxone|narcan|penicillin|amoxicillin"
    r"|epipen|quetiapine|seroquel|olanzapine|risperidone|aripiprazole|abilify|lamotrigine"
    r"|levetiracetam|keppra|topiramate|depakote|sumatriptan|montelukast|singulair|digoxin"
    r"|heparin|sulfa|latex|peanuts?|shellfish"
    # Drug stems (lisinopril, atorvastatin, metoprolol, azithromycin, adalimumab, ...).
    r"|p[ée]nicill?in[ea]?|[a-z]{2,30}(?:pril|sartan|statin|olol|semide|thiazide|prazole|cillin"
    r"|cilin|mycin|cycline"
    r"|floxacin|azepam|azolam|oxetine|triptan|dipine|gliptin|glutide|formin|tidine|lukast"
    r"|buterol|asone|isone|olone|umab|imab|tinib|navir|tegravir|parin|xaban|gatran|profen"
    r"|codone|morphone|afil)(?:e|a|um)?"
)
_HEALTH_TERM = re2.compile(
    rf"(?i)\b(?:(?P<plain>{_CONDITIONS}|{_MEDICATIONS})|(?P<ambiguous>{_AMBIGUOUS_CONDITIONS}))\b"
)
# Words that make what follows in the clause clinical, for every term.
_CLINICAL_BEFORE = re.compile(
    r"(?i)(?:diagnos|diagnóstic|condition|medication|allerg|prescri|symptom|comorbid|cl[ií]nic"
    r"|m[ée]dica[lm]ent|medikament|krankheit|enfermedad|maladie|tratamiento|traitement"
    r"|behandlung)"
    r"|\b(?:dx|hx|pt|patient|patient(?:in|e|a)|paciente|history\s+of|suffer(?:s|ing|ed)?\s+(?:from|a|an)|treated\s+for"
    r"|treatment\s+for|recover(?:s|ing|ed|y)?\s+from|positive\s+for|living\s+with"
    r"|admitted\s+(?:for|with)|discharged?|taking|takes|took|meds|rx|dose\s+of|dosage"
    r"|started\s+on|refill\s+(?:of|for)|inhaler|pharmacy|clinical|care\s+plan|nurse|physician"
    r"|doctor)\b"
)
# "has severe asthma", "with epilepsy", "I'm diabetic": a person who has it, right before.
_PERSON_BEFORE = re.compile(
    r"(?i)\b(?:has|have|had|having|(?<!s\s)with|mit|con|avec|com|from|got|developed|sufre\s+de|padece(?:\s+de)?|souffre\s+d[e']|leidet\s+an|tiene|a\s+un[e]?|hat|(?:i'?m|i\s+am|he'?s|she'?s|they'?re)"
    r"|(?:is|was|been|put|stays?|restarted)\s+on)\s+(?:(?:severe|mild|moderate|chronic|acute|early|late|advanced|stage\s+\w+|a|an|type"
    r"\s+\w+|bad|terrible|some|occasional|recurring|serious)\s+){0,2}$"
)
# "the applicant is epileptic": an adjective of a condition, after "is".
_BE_BEFORE = re.compile(
    r"(?i)\b(?:is|am|are|was|were|being|es|est|ist|está|esta|é|era|war|était)\s+$"
)
_ADJECTIVE = re.compile(r"(?i)\w+(?:ic|ique|ico|ica|iker|ikerin)|bipolar")
# "lisinopril 10mg", "HIV positive", "asthma flare-up": what follows ties it to a person.
_CLINICAL_AFTER = re.compile(
    r"(?i)^\s*(?:\(?\d+(?:\.\d+)?\s?(?:mg|mcg|µg|ml|g|units?|iu|puffs?)\b"
    # "... als aktive Diagnose", "... como diagnóstico activo", "... comme diagnostic".
    r"|(?:as|als|como|comme|come)\s+(?:(?:an?|the|aktive|active|activo|actif)\s+)?diagn"
    r"|\)?\s*(?:positive"
    r"|negative|diagnosis|flare|symptoms?|allergy|allergies|medication|meds|prescription"
    r"|inhaler|injections?|tablets?|pills?|daily|twice|nightly|as\s+needed|prn|bid|tid)\b)"
)
# Everyday words ("stroke", "CHF") count only after words that are clinical on their own.
_STRONG_BEFORE = re.compile(
    r"(?i)(?:diagnos|\b(?:dx|hx|history\s+of|suffer(?:s|ing|ed)?\s+(?:from|a|an)|treated\s+for"
    r"|recover(?:s|ing|ed|y)?\s+from|admitted\s+(?:for|with)|positive\s+for"
    r"|(?:had|has\s+had|suffered)\s+(?:a\s+)?(?:minor\s+|major\s+|mild\s+|massive\s+)?$))"
)
# "diabetes awareness month", "Stroke Unit", "depression screening": a program or a place.
_INSTITUTION_AFTER = re.compile(
    r"(?i)^[\s\-]*(?:screening|awareness|programs?|campaigns?|month|units?|wards?|clinics?"
    r"|cent(?:er|re)s?|queues?|teams?|cohorts?|registry|research|foundation|society"
    r"|association|fund|education|prevention)\b"
)
# Sentence ends; "e.g. 'lisinopril" and "40mg." inside a clause are not.
_CLAUSE_END = re.compile(r"[!?;\n]|\.(?=\s+[A-Z])")
_NOT_AN_ALLERGEN = frozenset({
    "the", "a", "an", "no", "any", "all", "some", "other", "his", "her", "their", "my", "your",
    "this", "that", "these", "those", "something", "anything", "it", "them",
})  # fmt: skip
_FOOD_OR_OTHER_ALLERGEN = (
    r"(?:tree\s+)?nuts?|eggs?|milk|dairy|soy|wheat|gluten|sesame|fish|bee(?:\s+sting)?|wasp"
    r"|pollen|dust|mold|mould|cats?|dogs?|iodine|contrast|adhesive|nickel|lactose|sulfites?"
)
# "allergic to sulfa", "penicillin allergy": the allergen names the allergy; "shows allergies"
# or "Health Cloud Allergy Intolerance" do not.
_ALLERGY = re2.compile(
    r"(?i:\ballergic\s+to\s+(?P<to>[a-z][\w\-]{2,30}))"
    rf"|(?i:\b(?:{_FOOD_OR_OTHER_ALLERGEN}|{_MEDICATIONS})\s+allerg(?:y|ies|ic\s+reaction)\b)"
)
# A JSON or CSV key naming clinical content: `"Conditions": [{"Name": "Chronic kidney ...`.
_CLINICAL_KEY = re2.compile(
    r"(?i)[\"'](?:\w*(?:conditions?|diagnos[ie]s|problems?|medications?|allerg\w*|prescriptions?"
    r"|medicamentos?|diagn[oó]sticos?))[\"']\s*:"
)
_KEY_WINDOW = 160
_CONTEXT_WINDOW = 80
_AFTER_WINDOW = 30
_LIST_GAP = 40
_LIST_SEPARATOR = re.compile(r"(?i)\s*(?:,|/|\+|&|;)?\s*(?:(?:and|or|with|y|und|et|e)\s+)?")


def find_health_details(text: str) -> Iterator[Span]:
    """Named conditions, drugs and allergies tied to a person; coded HL7 clinical fields."""
    last_end = -1
    key_ends: list[int] | None = None
    for term in _HEALTH_TERM.finditer(text):
        start, end = term.start(), term.end()
        before = _CLAUSE_END.split(text[max(0, start - _CONTEXT_WINDOW) : start])[-1]
        after = text[end : end + _AFTER_WINDOW]
        ambiguous = term.group("plain") is None
        in_list = (
            last_end >= 0
            and start - last_end <= _LIST_GAP
            and not _CLAUSE_END.search(text, last_end, start)
            # An everyday abbreviation ("HTN Quarterly") joins a list only after a separator.
            and (not ambiguous or _LIST_SEPARATOR.fullmatch(text, last_end, start) is not None)
        )
        if _INSTITUTION_AFTER.match(after):
            continue
        if not (in_list or _tied_to_person(term.group(), ambiguous, before, after)):
            if ambiguous:
                continue
            if key_ends is None:  # found once per text, and only when a term needs it
                key_ends = [key.end() for key in _CLINICAL_KEY.finditer(text)]
            if not _after_clinical_key(key_ends, start):
                continue
        last_end = end
        yield start, end
    for match in _ALLERGY.finditer(text):
        if (match.group("to") or "").lower() not in _NOT_AN_ALLERGEN:
            yield match.span()
    yield from find_hl7_health_details(text)


def _after_clinical_key(key_ends: list[int], start: int) -> bool:
    """Whether a clinical key (`"Conditions":`) ends shortly before `start`."""
    index = bisect.bisect_right(key_ends, start)
    return index > 0 and key_ends[index - 1] >= start - _KEY_WINDOW


def _tied_to_person(term: str, ambiguous: bool, before: str, after: str) -> bool:
    """Whether the clause words around a condition or drug make it somebody's."""
    if ambiguous:
        return _STRONG_BEFORE.search(before) is not None
    return (
        _CLINICAL_BEFORE.search(before) is not None
        or _CLINICAL_AFTER.match(after) is not None
        or _PERSON_BEFORE.search(before) is not None
        or (_ADJECTIVE.fullmatch(term) is not None and _BE_BEFORE.search(before) is not None)
    )
