"""Finding pasted code, queries and logs inside support messages."""

from __future__ import annotations

from sfagent.diagnostics.detect import ArtifactKind, find_artifacts

TRIGGER_MESSAGE = """My trigger throws System.LimitException: Too many SOQL queries: 101
Here is the code:
trigger AccountTrigger on Account (before update) {
    for (Account a : Trigger.new) {
        List<Contact> cs = [SELECT Id FROM Contact WHERE AccountId = :a.Id];
    }
}
Any idea?"""


def test_unfenced_trigger_is_found_with_offsets_and_its_query_is_not_separate() -> None:
    (artifact,) = find_artifacts(TRIGGER_MESSAGE)
    assert artifact.kind is ArtifactKind.APEX
    assert artifact.text.startswith("trigger AccountTrigger")
    assert artifact.text.endswith("}")
    assert TRIGGER_MESSAGE[artifact.start : artifact.end] == artifact.text
    assert "Any idea" not in artifact.text


def test_fenced_blocks_are_classified_by_tag_or_content() -> None:
    message = (
        "```apex\npublic class Foo { void a() { insert x; } }\n```\nthe log:\n```\n"
        "59.0 APEX_CODE,FINEST\n12:00:00.1 (100)|EXECUTION_STARTED\n"
        "12:00:00.1 (200)|FATAL_ERROR|System.LimitException: Too many SOQL queries: 101\n```\n"
        "```sql\nSELECT Id FROM Account\n```"
    )
    kinds = [(artifact.kind, artifact.fenced) for artifact in find_artifacts(message)]
    assert kinds == [
        (ArtifactKind.APEX, True),
        (ArtifactKind.LOG, True),
        (ArtifactKind.SOQL, True),
    ]


def test_inline_query_in_a_sentence_is_found() -> None:
    message = "why is select Id, Name from Account where Name like '%acme' slow"
    (artifact,) = find_artifacts(message)
    assert artifact.kind is ArtifactKind.SOQL
    assert artifact.text.lower().startswith("select id, name from account")


def test_unfenced_log_lines_form_one_log() -> None:
    message = (
        "see below\n12:00:00.1 (100)|EXECUTION_STARTED\n"
        "12:00:00.1 (200)|FATAL_ERROR|System.NullPointerException: x\nthanks"
    )
    (artifact,) = find_artifacts(message)
    assert artifact.kind is ArtifactKind.LOG
    assert artifact.text.count("\n") == 1


def test_plain_questions_carry_no_artifacts() -> None:
    assert find_artifacts("hello, how do I reset my password?") == []
    assert find_artifacts("Please select the right record from the list") == []


def test_adversarial_input_returns() -> None:
    assert find_artifacts("SELECT " * 20_000) == []
    assert find_artifacts("```" * 10_000) == []


def test_many_select_words_without_a_query_stay_linear() -> None:
    assert find_artifacts("SELECT a, " * 20_000) == []
    assert len(find_artifacts("SELECT a FROM b\n" * 2_000)) == 2_000
