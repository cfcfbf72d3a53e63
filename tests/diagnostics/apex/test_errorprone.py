"""Error-prone rules on our own snippets: empty blocks, hard-coded ids, test placement."""

from __future__ import annotations

from sfagent.diagnostics.apex.rules.errorprone import id_checksum
from tests.diagnostics.apex.conftest import findings_of, lines_of


def test_empty_catch_is_flagged_unless_named_ignored_or_commented_when_allowed() -> None:
    code = """public class Importer {
    public void run(List<Account> rows) {
        try {
            insert rows;
        } catch (DmlException e) {
        }
        try {
            insert rows;
        } catch (DmlException ignored) {
        }
        try {
            insert rows;
        } catch (DmlException e) {
            // duplicates are fine here
        }
    }
}"""
    assert lines_of("EmptyCatchBlock", code) == [5, 13]
    assert lines_of("EmptyCatchBlock", code, allowCommentedBlocks="true") == [5]
    (finding,) = findings_of("EmptyCatchBlock", code, allowExceptionNameRegex="^(e)$")
    assert finding.span.line == 9


def test_empty_if_while_and_try_blocks() -> None:
    code = """public class Foo {
    void a(Integer i) {
        if (i > 0) {
        }
        while (i < 10) {
        }
        try {
        } finally {
            i = 0;
        }
        try {
            i = 1;
        } finally {
        }
    }
}"""
    assert lines_of("EmptyIfStmt", code) == [3]
    assert lines_of("EmptyWhileStmt", code) == [5]
    assert lines_of("EmptyTryOrFinallyBlock", code) == [7, 11]


def test_empty_statement_block_properties() -> None:
    code = """public virtual class Base {
    private Base() {
    }
    public virtual void hook() {
    }
    public abstract void mustImplement();
    public void real(Integer i) {
        if (i > 0) {
            i++;
        } else {
        }
    }
}"""
    assert lines_of("EmptyStatementBlock", code) == [2, 4, 10]
    assert lines_of(
        "EmptyStatementBlock",
        code,
        reportEmptyPrivateNoArgConstructor="false",
        reportEmptyVirtualMethod="false",
    ) == [10]


def test_hard_coded_ids_need_a_zero_sixth_character_and_a_valid_checksum() -> None:
    valid18 = "001A0000006Vm9u" + id_checksum("001A0000006Vm9u")
    code = f"""public class Foo {{
    Id a = '001A0000006Vm9u';
    Id b = '{valid18}';
    Id c = '001A0000006Vm9uXXX';
    String d = '359041082913024';
    String e = 'hello world';
}}"""
    assert lines_of("AvoidHardcodingId", code) == [2, 3]
    assert id_checksum("001A0000006Vm9u") == "IAC"


def test_test_methods_outside_test_classes_are_reported_once_per_class() -> None:
    code = """public class Helpers {
    @IsTest static void one() {}
    static testMethod void two() {}
}
@IsTest
private class RealTests {
    @IsTest static void one() {}
}"""
    assert lines_of("TestMethodsMustBeInTestClasses", code) == [1]
