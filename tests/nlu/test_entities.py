"""Entity extraction: spans, normalised values, record-id checksums, code, overlaps, dates."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import pytest

from sfagent.nlu.entities import (
    Entity,
    EntityType,
    checksum_suffix,
    extract_entities,
    load_spacy_recognizer,
    record_id_prefix_object,
    validate_record_id,
)

TODAY = date(2024, 3, 13)  # a Wednesday
ACCOUNT_ID = "001xx000003DGb2AAG"


def found(text: str, kind: EntityType | None = None) -> list[Entity]:
    entities = extract_entities(text, today=TODAY)
    for entity in entities:
        assert text[entity.start : entity.end] == entity.text
    return [e for e in entities if kind is None or e.type is kind]


def values(text: str, kind: EntityType) -> list[str]:
    return [e.value for e in found(text, kind)]


def only(text: str, kind: EntityType) -> Entity:
    matches = found(text, kind)
    assert len(matches) == 1, matches
    return matches[0]


# --- record ids -------------------------------------------------------------------------------


def test_checksum_suffix_encodes_upper_case_positions() -> None:
    assert checksum_suffix("001xx000003DGb2") == "AAG"
    assert checksum_suffix("AAAAAAAAAAAAAAA") == "555"
    assert checksum_suffix("000000000000000") == "AAA"


def test_valid_18_character_id() -> None:
    info = validate_record_id(ACCOUNT_ID)
    assert info.valid and info.checksum_valid
    assert (info.object_name, info.key_prefix, info.id15) == ("Account", "001", ACCOUNT_ID[:15])


def test_wrong_checksum_is_invalid_and_names_the_expected_suffix() -> None:
    info = validate_record_id("001xx000003DGb2AAA")
    assert not info.valid and info.checksum_valid is False
    assert info.id18 == ACCOUNT_ID and "AAG" in (info.reason or "")


def test_15_character_id_gets_its_18_character_form() -> None:
    info = validate_record_id("001xx000003DGb2")
    assert info.valid and info.checksum_valid is None and info.id18 == ACCOUNT_ID


@pytest.mark.parametrize("bad", ["001xx000003DGb", "001xx000003DGb2AA", "001xx000003DG-2", ""])
def test_ids_of_wrong_shape_are_invalid(bad: str) -> None:
    assert not validate_record_id(bad).valid


@pytest.mark.parametrize(
    ("prefix", "name"),
    [("001", "Account"), ("00Q", "Lead"), ("500", "Case"), ("0PS", "PermissionSet"), ("zzz", None)],
)
def test_key_prefixes(prefix: str, name: str | None) -> None:
    assert record_id_prefix_object(prefix + "xx000003DGb2") == name


def test_id_inside_a_lightning_url_is_reported_with_the_url() -> None:
    text = f"Look at https://acme.my.salesforce.com/lightning/r/Account/{ACCOUNT_ID}/view please"
    url = only(text, EntityType.URL)
    record = only(text, EntityType.RECORD_ID)
    assert url.text == f"https://acme.my.salesforce.com/lightning/r/Account/{ACCOUNT_ID}/view"
    assert url.meta["salesforce"] is True
    assert record.start == text.index(ACCOUNT_ID) and record.end == record.start + 18
    assert record.meta["object"] == "Account" and url.start < record.start < record.end < url.end


def test_invalid_checksum_with_known_prefix_is_flagged_not_dropped() -> None:
    record = only("Record 001xx000003DGb2AAA won't open", EntityType.RECORD_ID)
    assert record.meta["valid"] is False and record.meta["checksum_valid"] is False


def test_invalid_checksum_with_unknown_prefix_and_no_context_is_not_an_id() -> None:
    assert found("token zzzxx000003DGb2AAA here", EntityType.RECORD_ID) == []


def test_15_character_id_value_is_the_18_character_form() -> None:
    assert values("Contact 003xx000004TmiQ is missing", EntityType.RECORD_ID) == [
        "003xx000004TmiQ" + checksum_suffix("003xx000004TmiQ")
    ]


@pytest.mark.parametrize(
    "text",
    [
        "my password1234567 leaked",
        "commit deadbeefcafe1234567 broke it",
        "call 001555123456789 now",
        "sha e83c5163316f89bfbde7d9ab23ca2e25604af290",
        "internationalization is hard",
    ],
)
def test_words_numbers_and_hex_are_not_ids(text: str) -> None:
    assert found(text, EntityType.RECORD_ID) == []


def test_unknown_prefix_is_accepted_with_id_context() -> None:
    record = only("the record id is a0B5g00000Xyz12 on my custom object", EntityType.RECORD_ID)
    assert record.meta["object"] is None and record.meta["custom_object_prefix"] is True


# --- objects and fields -----------------------------------------------------------------------


def test_custom_and_namespaced_objects() -> None:
    objects = found("Sync Invoice__c and acme__Shipment__c records", EntityType.SALESFORCE_OBJECT)
    assert [(o.value, o.meta["kind"], o.meta["namespace"]) for o in objects] == [
        ("Invoice__c", "custom", None),
        ("acme__Shipment__c", "custom", "acme"),
    ]


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("Order_Event__e", "platform_event"),
        ("Routing_Setting__mdt", "custom_metadata"),
        ("Legacy_Order__x", "external"),
        ("Click_Log__b", "big_object"),
        ("FAQ__kav", "knowledge_article_version"),
        ("Invoice__Share", "share"),
        ("Invoice__History", "history"),
    ],
)
def test_custom_suffix_kinds(name: str, kind: str) -> None:
    entity = only(f"The {name} object", EntityType.SALESFORCE_OBJECT)
    assert entity.value == name and entity.meta["kind"] == kind


def test_lower_case_share_suffix_is_normalised() -> None:
    assert values("query Invoice__share rows", EntityType.SALESFORCE_OBJECT) == ["Invoice__Share"]


def test_knowledge_kav_is_standard() -> None:
    assert only("Publish Knowledge__kav", EntityType.SALESFORCE_OBJECT).meta["kind"] == "standard"


def test_custom_field_named_as_a_field() -> None:
    field = only("The Status__c field is blank", EntityType.FIELD_NAME)
    assert field.value == "Status__c" and field.meta["custom"] is True


def test_relationship_name_is_a_field() -> None:
    assert only("Use Parent_Account__r here", EntityType.FIELD_NAME).meta["kind"] == "relationship"


def test_dotted_fields() -> None:
    text = "Map Account.Industry, Opportunity.Account.Name and Invoice__c.Amount__c."
    fields = found(text, EntityType.FIELD_NAME)
    assert [f.value for f in fields] == [
        "Account.Industry",
        "Opportunity.Account.Name",
        "Invoice__c.Amount__c",
    ]
    assert fields[1].meta["path"] == ("Opportunity", "Account", "Name")
    assert fields[2].meta["custom"] is True and fields[0].meta["custom"] is False


def test_method_calls_and_unknown_dotted_names_are_not_fields() -> None:
    assert found("Account.getDescribe() and Foo.Bar and System.debug", EntityType.FIELD_NAME) == []


def test_standard_objects_in_prose() -> None:
    text = "When I save the Account, Opportunities and permission sets go missing"
    assert values(text, EntityType.SALESFORCE_OBJECT) == ["Account", "Opportunity", "PermissionSet"]


def test_everyday_words_are_not_objects() -> None:
    assert (
        found("In any case my account and the lead time are fine", EntityType.SALESFORCE_OBJECT)
        == []
    )
    assert found("Case closed. Task done.", EntityType.SALESFORCE_OBJECT) == []


def test_everyday_word_with_object_context_is_an_object() -> None:
    assert values("Case records and the task trigger fail", EntityType.SALESFORCE_OBJECT) == [
        "Case",
        "Task",
    ]


# --- API endpoints and versions ---------------------------------------------------------------


def test_rest_endpoint_with_version_object_and_id() -> None:
    text = f"GET /services/data/v59.0/sobjects/Account/{ACCOUNT_ID}."
    endpoint = only(text, EntityType.API_ENDPOINT)
    assert endpoint.value == f"/services/data/v59.0/sobjects/Account/{ACCOUNT_ID}"
    assert (endpoint.meta["api"], endpoint.meta["version"], endpoint.meta["object"]) == (
        "rest",
        "59.0",
        "Account",
    )
    assert values(text, EntityType.API_VERSION) == ["59.0"]
    assert values(text, EntityType.RECORD_ID) == [ACCOUNT_ID]


@pytest.mark.parametrize(
    ("path", "api"),
    [
        ("/services/apexrest/Orders/v1/items", "apex_rest"),
        ("/services/oauth2/token", "oauth"),
        ("/services/Soap/u/60.0", "soap_partner"),
        ("/services/data/v60.0/tooling/query", "tooling"),
        ("/services/data/v60.0/jobs/ingest", "bulk_v2"),
    ],
)
def test_endpoint_families(path: str, api: str) -> None:
    assert only(f"POST to {path}, it fails", EntityType.API_ENDPOINT).meta["api"] == api


@pytest.mark.parametrize(
    ("text", "version"),
    [
        ("on API version 60", "60.0"),
        ("using v58.0 still", "58.0"),
        ("since Spring '24", "60.0"),
        ("after Winter '25", "62.0"),
        ("in Summer \u201923", "58.0"),
    ],
)
def test_api_versions(text: str, version: str) -> None:
    assert values(text, EntityType.API_VERSION) == [version]


def test_release_name_is_kept_in_meta() -> None:
    assert only("Spring '24 broke it", EntityType.API_VERSION).meta["release"] == "Spring '24"


# --- errors and limits ------------------------------------------------------------------------


def test_errors_of_every_kind() -> None:
    text = (
        "System.LimitException, a NullPointerException, UNABLE_TO_LOCK_ROW, "
        "FIELD_CUSTOM_VALIDATION_EXCEPTION, INVALID_SESSION_ID, invalid_grant, HTTP 401 and "
        "503 Service Unavailable"
    )
    errors = found(text, EntityType.ERROR)
    assert [(e.value, e.meta["kind"]) for e in errors] == [
        ("System.LimitException", "exception"),
        ("NullPointerException", "exception"),
        ("UNABLE_TO_LOCK_ROW", "status_code"),
        ("FIELD_CUSTOM_VALIDATION_EXCEPTION", "status_code"),
        ("INVALID_SESSION_ID", "status_code"),
        ("invalid_grant", "oauth"),
        ("HTTP 401", "http_status"),
        ("HTTP 503", "http_status"),
    ]
    assert errors[0].meta["namespace"] == "System" and errors[0].meta["name"] == "LimitException"


def test_known_error_message_points_to_its_exception() -> None:
    error = only("Attempt to de-reference a null object on save", EntityType.ERROR)
    assert error.meta["carried_by"] == "System.NullPointerException"


def test_constants_are_not_errors() -> None:
    assert found("Set MAX_RETRY_COUNT and Integer.MAX_VALUE", EntityType.ERROR) == []


def test_governor_limits() -> None:
    text = "Too many SOQL queries: 101, then CPU time limit, heap size, DML rows, API request limit"
    limits = found(text, EntityType.LIMIT)
    assert [limit.value for limit in limits] == [
        "SOQL_QUERIES",
        "CPU_TIME",
        "HEAP_SIZE",
        "DML_ROWS",
        "API_REQUESTS",
    ]
    assert limits[0].text == "Too many SOQL queries: 101"
    assert (limits[0].meta["observed"], limits[0].meta["sync_limit"]) == (101, 100)


# --- code -------------------------------------------------------------------------------------


def test_entities_inside_a_fenced_block_are_marked_in_code() -> None:
    text = (
        "Account save fails:\n```apex\nList<Contact> rows = [SELECT Id FROM Contact];\n"
        "throw new System.DmlException();\n```\nSee Invoice__c too"
    )
    code = only(text, EntityType.CODE)
    assert code.value == "apex" and code.meta["kind"] == "fenced" and code.in_code
    inside = [e for e in found(text) if code.start <= e.start and e.end <= code.end]
    assert {e.type for e in inside} >= {EntityType.ERROR, EntityType.SALESFORCE_OBJECT}
    assert all(e.in_code for e in inside)
    assert not only(text, EntityType.ERROR).text.startswith("Account")
    outside = [e for e in found(text) if e.end <= code.start or e.start >= code.end]
    assert outside and not any(e.in_code for e in outside)


def test_unclosed_fence_runs_to_the_end() -> None:
    text = "here:\n```\nInteger x = 1;"
    assert only(text, EntityType.CODE).end == len(text)


def test_one_line_fence() -> None:
    text = "try ```x = 1;``` first\nand then tell me"
    code = only(text, EntityType.CODE)
    assert code.text == "```x = 1;```"


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("List<Account> accs = [SELECT Id, Name FROM Account WHERE Name = 'x'];", "soql"),
        ("SELECT Id, Name FROM Contact WHERE Email = null", "soql"),
        ("public with sharing class InvoiceService {", "apex"),
        ("trigger InvoiceTrigger on Invoice__c (before insert) {", "apex"),
        ("System.debug('value ' + x);", "apex"),
        ("acc.Name = 'Test';", "apex"),
    ],
)
def test_code_lines_are_detected_in_prose(line: str, kind: str) -> None:
    text = f"Hello,\n{line}\nWhy does this fail?"
    code = only(text, EntityType.CODE)
    assert code.meta["kind"] == kind and code.text == line


def test_stack_trace_is_machine_output() -> None:
    text = (
        "It crashes:\nSystem.NullPointerException: Attempt to de-reference a null object\n"
        "Class.InvoiceService.total: line 42, column 1\nTrigger.InvoiceTrigger: line 3, column 1\n"
        "Any idea?"
    )
    code = only(text, EntityType.CODE)
    assert code.meta["kind"] == "stack_trace"
    assert code.text.startswith("System.NullPointerException") and code.text.endswith("column 1")
    errors = found(text, EntityType.ERROR)
    assert [e.meta["kind"] for e in errors] == ["exception", "message"]
    assert all(e.in_code for e in errors)


def test_prose_is_not_code() -> None:
    text = "Please select the record from the list; then we can update it."
    assert found(text, EntityType.CODE) == []


# --- products, web, dates ---------------------------------------------------------------------


def test_products_and_aliases() -> None:
    text = "We use Pardot, Community Cloud, Sales Cloud and Slack; the slack in the schedule is low"
    assert values(text, EntityType.PRODUCT) == [
        "Account Engagement",
        "Experience Cloud",
        "Sales Cloud",
        "Slack",
    ]


def test_features() -> None:
    assert values("The Flow Builder and Process Builder", EntityType.FEATURE) == [
        "Flow",
        "Process Builder",
    ]


def test_features_are_found_in_the_plural_too() -> None:
    text = "We still have 27 Process Builders and a dozen Flows to move"
    assert values(text, EntityType.FEATURE) == ["Process Builder", "Flow"]
    assert [e.text for e in found(text, EntityType.FEATURE)] == ["Process Builders", "Flows"]


def test_email_and_urls() -> None:
    text = (
        "Mail Jane.Doe@Example.COM or see (https://help.example.com/a?b=1). "
        "Also acme.my.salesforce.com."
    )
    assert values(text, EntityType.EMAIL) == ["Jane.Doe@example.com"]
    urls = found(text, EntityType.URL)
    assert [u.text for u in urls] == ["https://help.example.com/a?b=1", "acme.my.salesforce.com"]
    assert urls[1].value == "https://acme.my.salesforce.com" and urls[1].meta["salesforce"]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("on 2024-03-01", "2024-03-01"),
        ("on 03/01/2024", "2024-03-01"),
        ("on 25/12/2023", "2023-12-25"),
        ("on 25.12.2023", "2023-12-25"),
        ("since March 1st 2024", "2024-03-01"),
        ("since March 1st, 2024", "2024-03-01"),
        ("on 1 March 2024", "2024-03-01"),
        ("on the 5th of February", "2024-02-05"),
        ("yesterday", "2024-03-12"),
        ("today", "2024-03-13"),
        ("tomorrow", "2024-03-14"),
        ("3 days ago", "2024-03-10"),
        ("two weeks ago", "2024-02-28"),
        ("a month ago", "2024-02-13"),
        ("since Monday", "2024-03-11"),
        ("last Wednesday", "2024-03-06"),
        ("next Friday", "2024-03-15"),
        ("in 2 days", "2024-03-15"),
    ],
)
def test_dates_are_normalised_against_today(text: str, value: str) -> None:
    assert values(f"It started {text}.", EntityType.DATE) == [value]


def test_periods_carry_their_end() -> None:
    week = only("broken since last week", EntityType.DATE)
    assert (week.value, week.meta["end"], week.meta["since"]) == ("2024-03-04", "2024-03-10", True)
    month = only("last month", EntityType.DATE)
    assert (month.value, month.meta["end"]) == ("2024-02-01", "2024-02-29")
    named = only("in March 2024", EntityType.DATE)
    assert (named.value, named.meta["granularity"]) == ("2024-03-01", "month")


def test_ambiguous_slash_date_is_flagged() -> None:
    assert only("on 03/04/2024", EntityType.DATE).meta["ambiguous"] is True
    assert only("on 13/04/2024", EntityType.DATE).meta["ambiguous"] is False


def test_impossible_dates_are_dropped() -> None:
    assert found("on 2024-02-30 or 31/04/2024", EntityType.DATE) == []


def test_today_defaults_to_the_current_date() -> None:
    [entity] = [e for e in extract_entities("fixed today") if e.type is EntityType.DATE]
    assert entity.value == date.today().isoformat()


# --- spans, overlaps, robustness --------------------------------------------------------------


def test_spans_are_str_offsets_after_emoji_and_accents() -> None:
    text = f"😀🎉 Café naïve — l\u2019élève: Account record {ACCOUNT_ID} 🙏 Invoice__c"
    record = only(text, EntityType.RECORD_ID)
    assert (record.start, record.end) == (text.index(ACCOUNT_ID), text.index(ACCOUNT_ID) + 18)
    objects = found(text, EntityType.SALESFORCE_OBJECT)
    assert [(o.value, o.start) for o in objects] == [
        ("Account", text.index("Account")),
        ("Invoice__c", text.index("Invoice__c")),
    ]


@pytest.mark.parametrize("text", ["", "   ", "\n\n"])
def test_empty_input(text: str) -> None:
    assert extract_entities(text) == []


def test_field_inside_a_url_is_not_reported() -> None:
    text = "see https://docs.example.com/ref/Account.Name.html now"
    assert found(text, EntityType.FIELD_NAME) == []
    assert only(text, EntityType.URL).text == "https://docs.example.com/ref/Account.Name.html"


def test_endpoint_and_version_nest_in_a_url() -> None:
    text = "https://acme.my.salesforce.com/services/data/v60.0/limits"
    kinds = [e.type for e in found(text)]
    assert kinds == [EntityType.URL, EntityType.API_ENDPOINT, EntityType.API_VERSION]


def _assert_no_partial_overlaps(entities: Iterable[Entity]) -> None:
    spans = [e for e in entities if e.type is not EntityType.CODE]
    for a in spans:
        for b in spans:
            if a is b or a.end <= b.start or b.end <= a.start:
                continue
            nested = (a.start <= b.start and b.end <= a.end) or (
                b.start <= a.start and a.end <= b.end
            )
            assert nested and (a.start, a.end) != (b.start, b.end), (a, b)


MIXED = (
    "Since yesterday (2024-03-12) our Account trigger throws System.LimitException: "
    "Too many SOQL queries: 101 on /services/data/v59.0/sobjects/Account/"
    f"{ACCOUNT_ID} — see https://acme.my.salesforce.com/lightning/r/Account/{ACCOUNT_ID}/view; "
    "Service Cloud and the Flow Builder, Invoice__c.Amount__c, email ops@acme.io.\n"
)


def test_results_are_sorted_deterministic_and_without_partial_overlaps() -> None:
    first = found(MIXED)
    assert first == found(MIXED)
    assert [e.start for e in first] == sorted(e.start for e in first)
    _assert_no_partial_overlaps(first)
    assert {e.type for e in first} >= {
        EntityType.DATE,
        EntityType.ERROR,
        EntityType.LIMIT,
        EntityType.API_ENDPOINT,
        EntityType.RECORD_ID,
        EntityType.URL,
        EntityType.PRODUCT,
        EntityType.FEATURE,
        EntityType.FIELD_NAME,
        EntityType.EMAIL,
    }


def test_fifty_kilobytes_of_text_is_handled() -> None:
    text = (MIXED * (50_000 // len(MIXED) + 1))[:50_000]
    entities = extract_entities(text, today=TODAY)
    assert len([e for e in entities if e.type is EntityType.RECORD_ID]) >= 200
    assert all(text[e.start : e.end] == e.text for e in entities)


@pytest.mark.parametrize(
    "text",
    [
        "a" * 50_000,
        "a." * 25_000,
        "a_" * 25_000,
        "a@" * 25_000,
        "[SELECT " * 6_250,
        "x = y.foo(" * 5_000 + ";",
        "ABC_" * 12_500,
        "\n" * 50_000,
        "https://" + "a" * 50_000,
        "a." * 20_000 + "Exception",
        "Account Case Contact " * 2_500,
    ],
    ids=lambda text: repr(text[:12]),
)
def test_pathological_inputs_finish(text: str) -> None:
    entities = extract_entities(text, today=TODAY)
    _assert_no_partial_overlaps(entities[:2_000])


def test_entity_is_frozen_hashable_and_serialisable() -> None:
    entity = only(f"id {ACCOUNT_ID}", EntityType.RECORD_ID)
    assert hash(entity) == hash(entity)
    with pytest.raises(AttributeError):
        entity.start = 0  # type: ignore[misc]
    assert entity.to_dict()["type"] == "RECORD_ID"


# --- optional PERSON/ORG model ----------------------------------------------------------------


def test_person_and_org_come_from_a_recognizer_when_given() -> None:
    text = "Maria Lopez from Globex says Slack is down"

    def recognizer(_: str) -> list[tuple[int, int, str]]:
        return [(0, 11, "PERSON"), (17, 23, "ORG"), (29, 34, "ORG"), (40, 99, "ORG"), (0, 5, "GPE")]

    entities = extract_entities(text, today=TODAY, person_org=recognizer)
    assert [(e.type, e.text) for e in entities] == [
        (EntityType.PERSON, "Maria Lopez"),
        (EntityType.ORG, "Globex"),
        (EntityType.PRODUCT, "Slack"),
    ]


def test_without_a_recognizer_there_are_no_people() -> None:
    assert found("Maria Lopez from Globex", EntityType.PERSON) == []


def test_missing_spacy_model_gives_no_recognizer() -> None:
    assert load_spacy_recognizer("sfagent-no-such-model") is None
