"""PII and secret detection: what is caught, what diagnosis keeps, and how policies apply."""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping
from pathlib import Path

import pytest

from sfagent.security.pii import (
    HIPAA_TYPES,
    SECRET_TYPES,
    ComplianceProfile,
    PiiAction,
    PiiMatch,
    PiiPolicy,
    PiiType,
    detect,
    protect,
    redact,
)
from sfagent.security.pii_eval import LabelledText, evaluate, load_labelled

SESSION = "00D5e000000AbCd!AQ4AQFakeToken.Value_1234567890abcdefGHIJKLmnopqrstUVWXYZ"
REFRESH = "5Aep861TSESvWeug_xvFHRBTTbf_YrTWgEyjBJo7Xr34yOQ7GCFUN5DnNPxzDIoGoWjb"
PEM = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n"
    "VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK\n"
    "-----END RSA PRIVATE KEY-----"
)

CAUGHT = [
    (PiiType.EMAIL, "My user jane.doe+sf@mail.acme.com can't log in.", "jane.doe+sf@mail.acme.com"),
    (PiiType.EMAIL, "Username priya.patel@acme.com.uat is locked out.", "priya.patel@acme.com.uat"),
    (PiiType.PHONE, "Please call me back at (415) 555-0132 today.", "(415) 555-0132"),
    (PiiType.PHONE, "Our London office is on +44 20 7946 0958.", "+44 20 7946 0958"),
    (PiiType.PHONE, "Call me: 4155550132", "4155550132"),
    (PiiType.CARD, "She read out 4111 1111 1111 1111 to the agent.", "4111 1111 1111 1111"),
    (PiiType.CARD, "Amex 3782-822463-10005 was charged twice.", "3782-822463-10005"),
    (PiiType.SSN, "The SSN 219-09-9999 shows on the layout.", "219-09-9999"),
    (PiiType.SSN, "For verification she gave SSN 219099999.", "219099999"),
    (
        PiiType.IBAN,
        "New IBAN: DE89 3704 0044 0532 0130 00, BIC COBADEFF.",
        "DE89 3704 0044 0532 0130 00",
    ),
    (PiiType.IBAN, "Pay GB82WEST12345698765432 please.", "GB82WEST12345698765432"),
    (PiiType.IP_ADDRESS, "User can't log in from 203.0.113.42 today.", "203.0.113.42"),
    (
        PiiType.IP_ADDRESS,
        "Login from 2001:db8:85a3::8a2e:370:7334 failed.",
        "2001:db8:85a3::8a2e:370:7334",
    ),
    (PiiType.DATE_OF_BIRTH, "Contact has DOB 03/14/1985 but age shows 0.", "03/14/1985"),
    (PiiType.DATE_OF_BIRTH, "He was born on March 3, 1985 in Ohio.", "March 3, 1985"),
    (
        PiiType.POSTAL_ADDRESS,
        "Ship it to 1600 Amphitheatre Parkway, Mountain View, CA 94043.",
        "1600 Amphitheatre Parkway, Mountain View, CA 94043",
    ),
    (
        PiiType.POSTAL_ADDRESS,
        "She lives at 221B Baker Street, London NW1 6XE.",
        "221B Baker Street, London NW1 6XE",
    ),
    (PiiType.SESSION_ID, f"Authorization: Bearer {SESSION}", SESSION),
    (PiiType.SESSION_ID, f"Cookie: sid={SESSION}; BrowserId=x", SESSION),
    (PiiType.OAUTH_TOKEN, f"force://PlatformCLI::{REFRESH}@acme.my.salesforce.com", REFRESH),
    (
        PiiType.OAUTH_TOKEN,
        '{"access_token":"ya29.a0AfH6SMBx3kZ9qLmN0pQrStUv"}',
        "ya29.a0AfH6SMBx3kZ9qLmN0pQrStUv",
    ),
    (PiiType.PASSWORD, "password: hunter2", "hunter2"),
    (PiiType.PASSWORD, "My password is Summer2024! and it fails.", "Summer2024!"),
    (PiiType.PASSWORD, "String pwd = 'Sup3rS3cret!';", "Sup3rS3cret!"),
    (PiiType.PASSWORD, "System.setPassword(u.Id, 'Welcome123!');", "Welcome123!"),
    (PiiType.PRIVATE_KEY, f"Our key:\n{PEM}\nthanks", PEM),
    (PiiType.CLOUD_KEY, "aws_access_key_id=AKIA4HX2QJ7RZL5M9TBW", "AKIA4HX2QJ7RZL5M9TBW"),
    (
        PiiType.CLOUD_KEY,
        "aws_secret_access_key=q8Vd2LmT0bXr/K7MDENG/bPxRfiCYn4ZsHw1uJeAk",
        "q8Vd2LmT0bXr/K7MDENG/bPxRfiCYn4ZsHw1uJeAk",
    ),
    (
        PiiType.CLOUD_KEY,
        "token ghp_1234567890abcdefghijABCDEFGHIJ123456",
        "ghp_1234567890abcdefghijABCDEFGHIJ123456",
    ),
    (
        PiiType.CLOUD_KEY,
        "client_secret=8F3A9C1D2E4B5A6F7E8D9C0B1A2F3E4D",
        "8F3A9C1D2E4B5A6F7E8D9C0B1A2F3E4D",
    ),
    (PiiType.MEDICAL_RECORD, "Patient MRN: 00123456 is missing.", "00123456"),
    (PiiType.HEALTH, "The patient was diagnosed with type 2 diabetes.", "type 2 diabetes"),
    (PiiType.HEALTH, "He was prescribed metformin last week.", "metformin"),
    (PiiType.HEALTH, "Her son has severe asthma, the inhaler is late.", "asthma"),
    (PiiType.HEALTH, "Started on furosemide after the admission.", "furosemide"),
    (PiiType.HEALTH, "Notes: hx of CHF and a recent fall.", "CHF"),
    (PiiType.HEALTH, "Intake says codeine allergy, see chart.", "codeine allergy"),
    (PiiType.HEALTH, "Pharmacy row: AL1|1|DA|^Shellfish|MO|rash", "^Shellfish"),
    (PiiType.MEDICAL_RECORD, '{"MedicalRecordNumber__c":"MR-4410932"}', "MR-4410932"),
    (PiiType.MEDICAL_RECORD, "MRN 0071-334-92 is on two accounts.", "0071-334-92"),
    (PiiType.MEDICAL_RECORD, "PID|1||8830154^^^MRN^MR||DOE^JANE||19700101|F", "8830154"),
    (PiiType.DATE_OF_BIRTH, "PID|1||8830154^^^MRN^MR||DOE^JANE||19700101|F", "19700101"),
    (
        PiiType.DATE_OF_BIRTH,
        "Asked for DOB. He said 9 Jan 1958, file says 1958-01-19.",
        "1958-01-19",
    ),
    (PiiType.SSN, "SSN on the form: 532 44 1876 (typed with spaces).", "532 44 1876"),
    (PiiType.SSN, "Export shows 532441876 in the SSN__c column.", "532441876"),
    (PiiType.PHONE, "Tokyo desk 03-6271-4400 for the renewal.", "03-6271-4400"),
    (PiiType.PHONE, "Saved +44 20 7946 0958 as 442079460958 on import.", "442079460958"),
    (PiiType.PASSWORD, "host sftp.acme.com user etl password R3port#Drop", "R3port#Drop"),
    (PiiType.PASSWORD, "we reset the password for jane to 'Koala!Blue9'", "Koala!Blue9"),
    (PiiType.PASSWORD, "run: loader --password Qz8!mw2P --batch 200", "Qz8!mw2P"),
    (PiiType.PASSWORD, '<entry key="db.password" value="p@ss-W0rd"/>', "p@ss-W0rd"),
    (
        PiiType.OAUTH_TOKEN,
        "CI uses gho_nGM8KlcjzwO5xpRtfq2YOYuzi0MBXUqwXR99 to clone.",
        "gho_nGM8KlcjzwO5xpRtfq2YOYuzi0MBXUqwXR99",
    ),
    (PiiType.EMAIL, "Rejected row: anna.berg@gmail, invalid email.", "anna.berg@gmail"),
    (
        PiiType.POSTAL_ADDRESS,
        "Lieferadresse: Gartenweg 7, 50667 Köln",
        "Gartenweg 7, 50667 Köln",
    ),
    # Other languages and field-named values.
    (PiiType.PASSWORD, "Usuario: ana@tienda.mx, contraseña: Rio.Verde#2021.", "Rio.Verde#2021"),
    (PiiType.PASSWORD, "identifiant demo, mot de passe : Pomme&Poire7.", "Pomme&Poire7"),
    (PiiType.PASSWORD, "my password for the portal is Daisy#1988 lol", "Daisy#1988"),
    (PiiType.PASSWORD, '[{"key": "password", "value": "Qz8!river"}]', "Qz8!river"),
    (PiiType.DATE_OF_BIRTH, "Geburtsdatum: 02.10.1971, Kundin seit 2019.", "02.10.1971"),
    (PiiType.DATE_OF_BIRTH, "fecha de nacimiento 14 de mayo de 1980", "14 de mayo de 1980"),
    (PiiType.DATE_OF_BIRTH, '{"Birthdate": "1992-12-05", "Id": "003"}', "1992-12-05"),
    (PiiType.DATE_OF_BIRTH, "Name,BIRTHDATE,Status\nAna,1984-07-09,Created", "1984-07-09"),
    (PiiType.MEDICAL_RECORD, "Patientennummer PN-2231907 doppelt.", "PN-2231907"),
    (PiiType.MEDICAL_RECORD, "número de historia clínica HC-2020-11873", "HC-2020-11873"),
    (
        PiiType.POSTAL_ADDRESS,
        "domicilio: Calle Mayor 5, 3º B, 28013 Madrid",
        "Calle Mayor 5, 3º B, 28013 Madrid",
    ),
    (PiiType.POSTAL_ADDRESS, "Kowalska, ul. Polna 8/2, Kraków", "ul. Polna 8/2"),
    (PiiType.POSTAL_ADDRESS, '"MailingStreet": "19 Birch Lane"', "19 Birch Lane"),
    (PiiType.PHONE, "Telefon: +49 (0)89 2180 4411", "+49 (0)89 2180 4411"),
    (PiiType.SSN, "my social is 231 58 0476, remove it", "231 58 0476"),
]


@pytest.mark.parametrize(("pii_type", "text", "value"), CAUGHT, ids=lambda v: str(v)[:40])
def test_each_type_is_caught_in_a_realistic_sentence(
    pii_type: PiiType, text: str, value: str
) -> None:
    found = [(match.type, match.value) for match in detect(text, set(PiiType))]
    assert (pii_type, value) in found


KEPT = [
    "Getting UNABLE_TO_LOCK_ROW on Opportunity 0065e00000AbCdEAAV during the batch.",
    "Org ID 00D5e000000AbCd, instance NA224, sandbox refresh is stuck.",
    "GET /services/data/v59.0/sobjects/Account/001xx000003DGb2AAG returns 404 on API 60.0.",
    "Account.Name and Invoice__c.Amount__c are not searchable.",
    "System.LimitException: Too many SOQL queries: 101\n"
    "Class.AccountTriggerHandler.handleAfterUpdate: line 45, column 1",
    "12:34:56.789 (123456789)|SOQL_EXECUTE_BEGIN|[12]|Aggregations:0|SELECT Id FROM Account",
    "13:45:02.123 (1234567890)|USER_DEBUG|[88]|DEBUG|Processing batch 2 of 200",
    "Case 00001234 and case #00012345 are about Order 10004567.",
    "After upgrading to version 1.2.3.4 the page took 1500 ms; limits 100 of 100.",
    "Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 Chrome/120.0.0.0 Safari/537.36",
    "Error at line 45, column 12. The job ran on 2024-03-14 at 02:00.",
    "Transaction ref 4111111111111112 was posted twice.",
    "Our password reset emails are not arriving; I forgot my password.",
    "Password policy: minimum 12 characters. The password field is required.",
    "@AuraEnabled(cacheable=true) public static List<Account> getAccounts() {}",
    "The diagnosis of the failure: the trigger runs twice.",
    "Upgraded the managed package from 1.2.3.4 to 1.3.0.7 last night.",
    "Docs: Bearer 00DXXXXXXXXXXXX!XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    "The icon has a stroke of 2px; totals are shown in CHF.",
    "Our diabetes awareness month campaign targets members with asthma.",
    "The password field is required, password SHA-256 hashing is on.",
    "The DOB field was added on 2024-03-01 by the admin.",
    "Shield encrypts SSN__c; account 123456789 has the details.",
    "Serial 0800-1234-567 and order 2024-05-06-0001 shipped on 06-05-2024.",
    # Networks, bind addresses and builds are not a machine's address.
    "Allowlist 13.108.0.0/14 and the 10.40.0.0 range; the app binds to 0.0.0.0.",
    "Netmask 255.255.255.0; went from 1.12.0.3 to 1.14.2.7. Is 1.14.2.7 a bad build?",
    # Placeholders and empty assignments are never secrets.
    "STRIPE_SECRET_KEY=sk_live_xxxxxxxxxxxxxxxxxxxxxxxx\nSF_PASSWORD=\nSF_CLIENT_SECRET=\n",
    "The AWS docs sample key AKIAIOSFODNN7EXAMPLE is not ours.",
    "-----BEGIN PRIVATE KEY-----\n<your private key here>\n-----END PRIVATE KEY-----",
    "Use firstname.lastname@company.com as the Federation ID format.",
    "Via Lightning 2 we show the field; see Smith et al. Nature 2019.",
]


@pytest.mark.parametrize("text", KEPT, ids=lambda t: t[:40])
def test_what_diagnosis_needs_is_kept(text: str) -> None:
    assert detect(text, set(PiiType)) == []
    assert redact(text) == text


def test_org_id_is_kept_but_a_session_id_built_on_it_is_redacted() -> None:
    text = f"Org 00D5e000000AbCd, session {SESSION}"
    assert redact(text) == "Org 00D5e000000AbCd, session [REDACTED:SESSION_ID]"


def test_only_the_password_value_is_masked() -> None:
    assert redact("password: hunter2, forgot my password") == (
        "password: [REDACTED:PASSWORD], forgot my password"
    )


def test_private_key_is_redacted_as_one_block() -> None:
    assert redact(f"key:\n{PEM}\nthanks") == "key:\n[REDACTED:PRIVATE_KEY]\nthanks"


def test_secrets_beat_personal_data_on_overlap() -> None:
    text = f"force://PlatformCLI::{REFRESH}@acme.my.salesforce.com"
    assert [match.type for match in detect(text)] == [PiiType.OAUTH_TOKEN]


def test_health_types_are_detected_only_when_asked_for() -> None:
    text = "Patient MRN: 00123456 was diagnosed with asthma."
    assert detect(text) == []
    assert {match.type for match in detect(text, HIPAA_TYPES)} == set(HIPAA_TYPES)


def test_detections_are_sorted_and_do_not_overlap() -> None:
    text = "Mail jane@acme.com or call (415) 555-0132 from 203.0.113.7, card 4242424242424242."
    matches = detect(text)
    assert [match.type for match in matches] == [
        PiiType.EMAIL,
        PiiType.PHONE,
        PiiType.IP_ADDRESS,
        PiiType.CARD,
    ]
    assert all(a.end <= b.start for a, b in itertools.pairwise(matches))
    assert all(text[m.start : m.end] == m.value for m in matches)


def test_default_policy_tokenizes_contacts_and_redacts_the_rest() -> None:
    policy = PiiPolicy()
    assert policy.action_for(PiiType.EMAIL) is PiiAction.TOKENIZE
    assert policy.action_for(PiiType.PHONE) is PiiAction.TOKENIZE
    assert policy.action_for(PiiType.CARD) is PiiAction.REDACT
    assert policy.action_for(PiiType.POSTAL_ADDRESS) is PiiAction.REDACT


@pytest.mark.parametrize("action", [PiiAction.ALLOW, PiiAction.TOKENIZE])
def test_secrets_can_never_be_allowed_or_tokenized(action: PiiAction) -> None:
    policy = PiiPolicy({secret: action for secret in SECRET_TYPES})
    assert {policy.action_for(secret) for secret in SECRET_TYPES} == {PiiAction.REDACT}


def test_pci_profile_always_redacts_cards() -> None:
    policy = PiiPolicy({PiiType.CARD: PiiAction.ALLOW}, ComplianceProfile.PCI)
    assert policy.action_for(PiiType.CARD) is PiiAction.REDACT
    assert PiiPolicy({PiiType.CARD: PiiAction.ALLOW}).action_for(PiiType.CARD) is PiiAction.ALLOW


def test_hipaa_profile_detects_health_data_and_never_allows_it() -> None:
    policy = PiiPolicy({PiiType.HEALTH: PiiAction.ALLOW}, ComplianceProfile.HIPAA)
    assert policy.detected_types() >= HIPAA_TYPES
    assert not HIPAA_TYPES & PiiPolicy().detected_types()
    assert policy.action_for(PiiType.HEALTH) is PiiAction.TOKENIZE
    protected = protect("Patient has HIV.", policy)
    assert protected.text == "Patient has [REDACTED:HEALTH]."


def test_tokenize_uses_token_for_and_findings_point_into_the_original() -> None:
    text = "Mail jane@acme.com, card 4242424242424242."

    def token_for(match: PiiMatch) -> str:
        return f"[{match.type.name}:tok_{len(match.value)}]"

    protected = protect(text, PiiPolicy(), token_for)
    assert protected.text == "Mail [EMAIL:tok_13], card [REDACTED:CARD]."
    email, card = protected.findings
    assert (email.action, card.action) == (PiiAction.TOKENIZE, PiiAction.REDACT)
    assert text[email.start : email.end] == email.value == "jane@acme.com"
    assert card.replacement == "[REDACTED:CARD]"


def test_tokenize_without_token_for_redacts() -> None:
    protected = protect("Mail jane@acme.com", PiiPolicy())
    assert protected.text == "Mail [REDACTED:EMAIL]"
    assert protected.findings[0].action is PiiAction.REDACT


def test_allowed_values_stay_and_are_still_reported() -> None:
    policy = PiiPolicy({PiiType.IP_ADDRESS: PiiAction.ALLOW})
    protected = protect("Login from 203.0.113.7", policy)
    assert protected.text == "Login from 203.0.113.7"
    assert [finding.action for finding in protected.findings] == [PiiAction.ALLOW]


def test_policy_from_settings_and_back() -> None:
    policy = PiiPolicy.from_settings({"email": "redact", "IP_ADDRESS": "allow"}, "pci")
    assert policy.profile is ComplianceProfile.PCI
    assert policy.action_for(PiiType.EMAIL) is PiiAction.REDACT
    data = policy.to_dict()
    assert data["actions"]["ip_address"] == "allow"
    assert PiiPolicy.from_settings(data["actions"], data["profile"]).to_dict() == data
    assert PiiPolicy.from_settings(None, None) == PiiPolicy()


@pytest.mark.parametrize(
    ("actions", "profile", "named"),
    [
        ({"emial": "redact"}, None, "'emial'"),
        ({"email": "hide"}, None, "'hide'"),
        (None, "gdpr", "'gdpr'"),
    ],
)
def test_policy_from_settings_names_the_bad_key_or_value(
    actions: dict[str, str] | None, profile: str | None, named: str
) -> None:
    with pytest.raises(ValueError, match=named):
        PiiPolicy.from_settings(actions, profile)


def test_redaction_is_idempotent_and_markers_are_not_pii() -> None:
    text = f"jane@acme.com (415) 555-0132 password: hunter2 {SESSION} 203.0.113.7"
    once = redact(text)
    assert redact(once) == once
    assert detect(once, set(PiiType)) == []


def test_shipped_labelled_set_loads_with_enough_positives_per_type() -> None:
    rows = load_labelled()
    assert len(rows) >= 400
    for pii_type in PiiType:
        positives = sum(any(t is pii_type for t, _ in row.entities) for row in rows)
        assert positives >= 25, pii_type
    assert {row.split for row in rows} == {"dev", "holdout"}


def _write_rows(path: Path, *rows: Mapping[str, object]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def test_load_labelled_names_the_line_of_a_value_missing_from_the_text(tmp_path: Path) -> None:
    good = {"id": "a", "text": "mail jane@acme.com", "entities": [], "split": "dev"}
    bad = {"id": "b", "text": "hello", "entities": [{"type": "email", "value": "x@y.io"}]}
    path = _write_rows(tmp_path / "set.jsonl", good, bad)
    with pytest.raises(ValueError, match=r"line 2: .* does not occur"):
        load_labelled(path)


def test_load_labelled_names_the_line_of_an_unknown_type(tmp_path: Path) -> None:
    bad = {"id": "a", "text": "hello", "entities": [{"type": "fax", "value": "hello"}]}
    path = _write_rows(tmp_path / "set.jsonl", bad)
    with pytest.raises(ValueError, match=r"line 1: unknown PII type 'fax'"):
        load_labelled(path)


def test_evaluate_counts_found_missed_and_spurious() -> None:
    rows = [
        LabelledText(
            "1", "jane@acme.com wrote to jane@acme.com", [(PiiType.EMAIL, "jane@acme.com")], "dev"
        ),
        LabelledText("2", "call (415) 555-0132", [], "dev"),
        LabelledText("3", "from 203.0.113.7", [(PiiType.SSN, "203")], "holdout"),
    ]
    report = evaluate(rows, split="dev")
    assert report.texts == 2
    email, phone = report.per_type[PiiType.EMAIL], report.per_type[PiiType.PHONE]
    assert (email.true_positives, email.false_negatives, email.recall) == (1, 0, 1.0)
    assert (phone.false_positives, phone.precision) == (1, 0.0)
    assert [(f.id, f.kind) for f in report.failures] == [("2", "spurious")]
    holdout = evaluate(rows, split="holdout")
    assert holdout.per_type[PiiType.SSN].false_negatives == 1
    assert holdout.per_type[PiiType.IP_ADDRESS].false_positives == 1
    assert holdout.to_dict()["per_type"]["ssn"]["recall"] == 0.0


def test_a_value_found_once_is_found_wherever_it_is_repeated() -> None:
    text = "p.PersonBirthdate = Date.valueOf('1975-08-21');\nfindMatch(Date.valueOf('1975-08-21'));"
    found = [m for m in detect(text) if m.type is PiiType.DATE_OF_BIRTH]
    assert [m.value for m in found] == ["1975-08-21", "1975-08-21"]


def test_an_elided_session_id_is_still_a_session_id() -> None:
    token = "00D5q00000IOsXUNDB!AQ5AQsWg6FCXMLp3U_J_4WqGRfe0T...5D68KOIwMiWKiXk1J_yzD98Obkr"
    found = detect(f'"access_token": "{token}"')
    assert [(m.type, m.value) for m in found] == [(PiiType.SESSION_ID, token)]


def test_a_clinical_key_makes_a_condition_in_json_health_data() -> None:
    text = '"Conditions": [\n  {\n    "Name": "Chronic kidney disease, stage 3"'
    found = detect(text, {PiiType.HEALTH})
    assert [m.value for m in found] == ["Chronic kidney disease, stage 3"]


def test_an_everyday_abbreviation_after_a_condition_needs_a_list_separator() -> None:
    text = "The patient's care plan has no hypertension follow-up (template 'HTN Quarterly')."
    found = detect(text, {PiiType.HEALTH})
    assert [m.value for m in found] == ["hypertension"]
