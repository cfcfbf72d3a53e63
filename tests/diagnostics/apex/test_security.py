"""Security rules: CRUD/FLS, sharing, SOQL injection, XSS, redirects, callouts, secrets, CSRF."""

from __future__ import annotations

import pytest

from sfagent.diagnostics.apex.evaluation import PmdCase, run_case
from sfagent.diagnostics.apex.rules.base import InvalidRuleProperty
from sfagent.diagnostics.findings import Severity
from tests.diagnostics.apex.conftest import findings_of, lines_of, pmd_cases_for

SECURITY_RULES = (
    "ApexCRUDViolation",
    "ApexSharingViolations",
    "ApexSOQLInjection",
    "ApexXSSFromURLParam",
    "ApexXSSFromEscapeFalse",
    "ApexOpenRedirect",
    "ApexInsecureEndpoint",
    "ApexSuggestUsingNamedCred",
    "ApexBadCrypto",
    "ApexDangerousMethods",
    "ApexCSRF",
)

# --- ApexCRUDViolation -------------------------------------------------------------------

CASE_CONTROLLER = """
public with sharing class CaseController {
    public static List<Case> openCases(Id accountId) {
        return [SELECT Id, Subject FROM Case WHERE AccountId = :accountId];
    }

    public static void closeCase(Case record) {
        record.Status = 'Closed';
        update record;
    }
}
"""


def test_crud_flags_unchecked_query_and_update_naming_the_object() -> None:
    findings = findings_of("ApexCRUDViolation", CASE_CONTROLLER)
    assert [finding.line for finding in findings] == [4, 9]
    query, update = findings
    assert "Case" in query.message and "WITH USER_MODE" in query.fix
    assert "update record" in update.message
    assert "Schema.sObjectType.Case.isUpdateable()" in update.fix
    assert "update as user record" in update.fix
    assert update.severity is Severity.HIGH


def test_crud_accepts_describe_checks_user_mode_and_security_enforced() -> None:
    code = """
public with sharing class CaseController {
    public static List<Case> openCases(Id accountId) {
        if (!Case.sObjectType.getDescribe().isAccessible()) {
            return new List<Case>();
        }
        return [SELECT Id FROM Case WHERE AccountId = :accountId];
    }
    public static List<Contact> contacts() {
        return [SELECT Id FROM Contact WITH USER_MODE];
    }
    public static List<Lead> leads() {
        return [SELECT Id FROM Lead WITH SECURITY_ENFORCED];
    }
    public static void save(Account record) {
        update as user record;
        Database.insert(record, AccessLevel.USER_MODE);
    }
}
"""
    assert findings_of("ApexCRUDViolation", code) == []


def test_crud_upsert_needs_both_create_and_update_checks() -> None:
    code = """
public class Importer {
    public void save(Contact row) {
        if (Schema.sObjectType.Contact.isUpdateable()) {
            upsert row;
        }
    }
}
"""
    findings = findings_of("ApexCRUDViolation", code)
    assert [finding.line for finding in findings] == [5]
    assert "create" in findings[0].message


def test_crud_credits_a_check_in_a_helper_method_or_constructor() -> None:
    code = """
public class Importer {
    public Importer() {
        if (!Account.sObjectType.getDescribe().isCreateable()) {
            throw new NoAccessException();
        }
    }
    public void create(String name) {
        insert new Account(Name = name);
    }
    public void rename(Contact person) {
        assertCanEdit();
        update person;
    }
    private void assertCanEdit() {
        if (!Contact.sObjectType.getDescribe().isUpdateable()) {
            throw new NoAccessException();
        }
    }
}
"""
    assert findings_of("ApexCRUDViolation", code) == []


def test_crud_check_after_the_query_does_not_count() -> None:
    code = """
public class Reports {
    public void load() {
        List<Opportunity> rows = [SELECT Id FROM Opportunity];
        checkAccess();
    }
    private void checkAccess() {
        if (!Opportunity.sObjectType.getDescribe().isAccessible()) {
            throw new NoAccessException();
        }
    }
}
"""
    assert lines_of("ApexCRUDViolation", code) == [4]


def test_crud_ignores_test_classes_and_batch_jobs() -> None:
    test_class = "@IsTest\nclass ImporterTest { static void t() { insert new Account(); } }"
    batch = (
        "public class Nightly implements Database.Batchable<SObject> {"
        " public void run() { delete [SELECT Id FROM Task]; } }"
    )
    assert findings_of("ApexCRUDViolation", test_class) == []
    assert findings_of("ApexCRUDViolation", batch) == []


def test_crud_commented_out_security_enforced_does_not_count() -> None:
    code = """
public class Accounts {
    public List<Account> all() {
        return [SELECT Id FROM Account
                // WITH SECURITY_ENFORCED
               ];
    }
}
"""
    assert lines_of("ApexCRUDViolation", code) == [4]


AUTH_UTIL = """
public class Accounts {
    public void create() {
        if (AuthUtil.canCreate(Account.SObjectType)) {
            insert new Account(Name = 'X');
        }
    }
}
"""


CAN_PATTERN = "AuthUtil\\.can\\w+"


def test_crud_auth_method_pattern_property_credits_custom_checks() -> None:
    assert lines_of("ApexCRUDViolation", AUTH_UTIL) == [5]
    assert lines_of("ApexCRUDViolation", AUTH_UTIL, createAuthMethodPattern=CAN_PATTERN) == []
    # the SObjectType is looked up at the configured argument position
    shifted = AUTH_UTIL.replace("canCreate(Account", "canCreate(flag, Account")
    assert lines_of("ApexCRUDViolation", shifted, createAuthMethodPattern=CAN_PATTERN) == [5]
    at_second = {"createAuthMethodPattern": CAN_PATTERN, "createAuthMethodTypeParamIndex": "1"}
    assert lines_of("ApexCRUDViolation", shifted, **at_second) == []


def test_crud_rejects_an_invalid_auth_pattern() -> None:
    with pytest.raises(InvalidRuleProperty):
        findings_of("ApexCRUDViolation", AUTH_UTIL, readAuthMethodPattern="(unclosed")


# --- ApexSharingViolations --------------------------------------------------------------


def test_sharing_reports_the_class_once_at_its_declaration() -> None:
    code = """
public class AccountService {
    public List<Account> load() { return [SELECT Id FROM Account]; }
    public void save(Account a) { update a; }
}
"""
    findings = findings_of("ApexSharingViolations", code)
    assert [finding.line for finding in findings] == [2]
    assert "AccountService" in findings[0].message
    assert "with sharing" in findings[0].fix


def test_sharing_accepts_declared_models_and_classes_without_data_access() -> None:
    for keyword in ("with sharing", "without sharing", "inherited sharing"):
        code = f"public {keyword} class S {{ void m() {{ delete [SELECT Id FROM Task]; }} }}"
        assert findings_of("ApexSharingViolations", code) == []
    assert (
        findings_of(
            "ApexSharingViolations", "public class Util { Integer add(Integer a) { return a; } }"
        )
        == []
    )


def test_sharing_judges_a_nested_class_by_its_own_declaration() -> None:
    code = """
public with sharing class Outer {
    public class Inner {
        public List<Contact> load() { return [SELECT Id FROM Contact]; }
    }
}
"""
    assert lines_of("ApexSharingViolations", code) == [3]


# --- ApexSOQLInjection -----------------------------------------------------------------

SEARCH_CONTROLLER = """
public with sharing class SearchController {
    public List<Account> search(String term, Integer max) {
        String soql = 'SELECT Id FROM Account WHERE Name LIKE \\'%' + term + '%\\' LIMIT ' + max;
        return Database.query(soql);
    }
    public List<Account> byName(String name) {
        return Database.query('SELECT Id FROM Account WHERE Name = \\'' + name + '\\'');
    }
}
"""


def test_soql_injection_flags_user_input_concatenated_into_a_query() -> None:
    findings = findings_of("ApexSOQLInjection", SEARCH_CONTROLLER)
    assert [finding.line for finding in findings] == [5, 8]
    built, direct = findings
    assert "soql" in built.message and "Database.query" in built.message
    assert "`name`" in direct.message
    assert ":name" in direct.fix and "String.escapeSingleQuotes(name)" in direct.fix
    assert direct.severity is Severity.CRITICAL


def test_soql_injection_accepts_escaped_literal_and_typed_values() -> None:
    code = """
public with sharing class SafeSearch {
    public List<SObject> run(String objectName, Id ownerId, Integer max) {
        String fields = 'Id, Name';
        String soql = 'SELECT ' + fields + ' FROM ' + String.escapeSingleQuotes(objectName);
        Database.query(soql + ' WHERE OwnerId = \\'' + ownerId + '\\' LIMIT ' + max);
        return Database.query('SELECT Id FROM Account WHERE Name = :objectName');
    }
}
"""
    assert findings_of("ApexSOQLInjection", code) == []


def test_soql_injection_literal_only_concatenation_is_safe() -> None:
    code = """
public class Report {
    public List<Account> run() {
        String soql = 'SELECT Id FROM Account WHERE Active__c = true'
            + ' ORDER BY Name';
        return Database.query(soql);
    }
}
"""
    assert findings_of("ApexSOQLInjection", code) == []


# --- ApexXSSFromURLParam --------------------------------------------------------------


def test_xss_url_param_flags_unescaped_use_and_names_the_variable() -> None:
    code = """
public with sharing class WelcomeController {
    public String greeting { get; set; }
    public WelcomeController() {
        String name = ApexPages.currentPage().getParameters().get('name');
        greeting = 'Hello ' + name;
    }
}
"""
    findings = findings_of("ApexXSSFromURLParam", code)
    assert [finding.line for finding in findings] == [6]
    assert "`name`" in findings[0].message
    assert "String.escapeHtml4(name)" in findings[0].fix


def test_xss_url_param_accepts_escaping_and_type_conversion() -> None:
    code = """
public with sharing class WelcomeController {
    public WelcomeController() {
        String raw = ApexPages.currentPage().getParameters().get('name');
        String shown = String.escapeHtml4(raw);
        Integer page = Integer.valueOf(ApexPages.currentPage().getParameters().get('page'));
    }
}
"""
    assert findings_of("ApexXSSFromURLParam", code) == []


def test_xss_url_param_flags_a_parameter_passed_straight_into_a_call() -> None:
    code = (
        "public class C { void m() { render(ApexPages.currentPage().getParameters().get('q')); } }"
    )
    findings = findings_of("ApexXSSFromURLParam", code)
    assert len(findings) == 1 and "URL parameter" in findings[0].message


# --- ApexXSSFromEscapeFalse --------------------------------------------------------------


def test_escape_false_flags_each_variable_in_the_message() -> None:
    code = """
public with sharing class OpportunityTriggerHandler {
    public void validate(Opportunity opp, String reason) {
        opp.addError('Rejected: ' + reason, false);
        opp.addError('Rejected', false);
        opp.addError(reason);
    }
}
"""
    findings = findings_of("ApexXSSFromEscapeFalse", code)
    assert [finding.line for finding in findings] == [4]
    assert "`reason`" in findings[0].message


def test_escape_false_sees_statements_on_trigger_records() -> None:
    code = """
public with sharing class Handler {
    public void run(String message) {
        Trigger.new[0].addError(
            message, false);
    }
}
"""
    findings = findings_of("ApexXSSFromEscapeFalse", code)
    assert [(finding.line, finding.span.column) for finding in findings] == [(5, 13)]


# --- ApexOpenRedirect ---------------------------------------------------------------------


def test_open_redirect_flags_a_page_reference_from_a_variable() -> None:
    code = """
public with sharing class LoginController {
    public PageReference next(String retUrl) {
        return new PageReference(retUrl);
    }
    public PageReference home() {
        String target = '/apex/Home';
        return new PageReference(target);
    }
    public PageReference detail(String recordId) {
        return new PageReference('/' + recordId);
    }
}
"""
    findings = findings_of("ApexOpenRedirect", code)
    assert [finding.line for finding in findings] == [4]
    assert "`retUrl`" in findings[0].message


# --- ApexInsecureEndpoint and ApexSuggestUsingNamedCred ---------------------------------


def test_insecure_endpoint_flags_http_literals_and_variables() -> None:
    code = """
public class WeatherClient {
    private String baseUrl = 'http://api.example.com/v1';
    public void call(HttpRequest req, HttpRequest other, HttpRequest safe) {
        req.setEndpoint(baseUrl);
        other.setEndpoint('http://api.example.com/v2/' + 'forecast');
        safe.setEndpoint('https://api.example.com/v1');
    }
}
"""
    findings = findings_of("ApexInsecureEndpoint", code)
    assert [finding.line for finding in findings] == [5, 6]
    assert "https://" in findings[0].fix


def test_named_credential_rule_flags_a_hard_coded_authorization_header() -> None:
    code = """
public class BillingClient {
    public void send(HttpRequest req, String token) {
        req.setHeader('Authorization', 'Bearer ' + token);
        req.setHeader('Authorization', 'Bearer {!$Credential.Password}');
        req.setHeader('Content-Type', 'application/json');
    }
}
"""
    findings = findings_of("ApexSuggestUsingNamedCred", code)
    assert [finding.line for finding in findings] == [4]
    assert "Named Credential" in findings[0].fix


# --- ApexBadCrypto and ApexDangerousMethods -------------------------------------------


def test_bad_crypto_flags_hard_coded_key_and_iv() -> None:
    code = """
public class Vault {
    public Blob seal(Blob data) {
        Blob key = Blob.valueOf('0123456789abcdef');
        Blob iv = Blob.valueOf('fedcba9876543210');
        return Crypto.encrypt('AES128', key, iv, data);
    }
    public Blob sealSafely(Blob data) {
        return Crypto.encryptWithManagedIV('AES256', Crypto.generateAesKey(256), data);
    }
}
"""
    findings = findings_of("ApexBadCrypto", code)
    assert [finding.line for finding in findings] == [6, 6]
    assert {"initialization vector", "key"} == {f.details["argument"] for f in findings}


def test_dangerous_methods_flag_logged_secrets_but_not_boolean_flags() -> None:
    code = """
public class LoginService {
    private Boolean isAuthenticated = false;
    public void login(String username, String password, String sessionToken) {
        System.debug('user ' + username);
        System.debug('password ' + password);
        System.debug(sessionToken);
        System.debug('authenticated ' + isAuthenticated);
    }
}
"""
    findings = findings_of("ApexDangerousMethods", code)
    assert [finding.line for finding in findings] == [6, 7]
    assert "`password`" in findings[0].message


# --- ApexCSRF ------------------------------------------------------------------------------


def test_csrf_flags_dml_in_constructor_init_and_initializer_blocks() -> None:
    code = """
public with sharing class VisitController {
    public VisitController() {
        insert new Visit__c();
    }
    public void init() {
        update [SELECT Id FROM Visit__c LIMIT 1];
    }
    {
        delete [SELECT Id FROM Visit__c LIMIT 1];
    }
    public PageReference save() {
        insert new Visit__c();
        return null;
    }
}
"""
    findings = findings_of("ApexCSRF", code)
    assert [finding.line for finding in findings] == [3, 6, 9]
    assert all(finding.severity is Severity.CRITICAL for finding in findings)
    assert findings[0].category == "errorprone"


# --- Suppression and PMD's own cases ------------------------------------------------------


def test_security_findings_honour_nopmd_and_suppress_warnings() -> None:
    code = """
public class Jobs {
    @SuppressWarnings('PMD.ApexCRUDViolation')
    public void purge() { delete [SELECT Id FROM Task]; }
    public void archive() { delete [SELECT Id FROM Event]; } // NOPMD
}
"""
    assert findings_of("ApexCRUDViolation", code) == []


SECURITY_CASES = [case for rule in SECURITY_RULES for case in pmd_cases_for(rule)]


@pytest.mark.usefixtures("require_pmd_data")
@pytest.mark.parametrize("case", SECURITY_CASES, ids=lambda case: case.case_id)
def test_security_rules_agree_with_pmd(case: PmdCase) -> None:
    outcome = run_case(case)
    assert outcome.agreed, f"{case.case_id}: expected {case.expected_lines}, got {outcome.lines}"
