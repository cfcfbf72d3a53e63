"""Names the Apex platform itself defines: annotations and System / Schema namespace types.

The annotation list is the one PMD accepts as valid (the documented annotations plus a few
internal ones Salesforce still compiles). The type lists follow the top-level types of the
`System` and `Schema` namespaces in the open-source Apex standard-library stubs PMD checks
against; a custom class with one of these names hides the built-in type in that org.
"""

from __future__ import annotations

KNOWN_ANNOTATIONS: tuple[str, ...] = (
    "AllowCertifiedApex",
    "AuraEnabled",
    "Deprecated",
    "Future",
    "HiddenFromDoc",
    "HttpDelete",
    "HttpGet",
    "HttpPatch",
    "HttpPost",
    "HttpPut",
    "InvocableMethod",
    "InvocableVariable",
    "IsTest",
    "JsonAccess",
    "NamespaceAccessible",
    "NamespaceGuard",
    "PermGuard",
    "PrivateApi",
    "ReadOnly",
    "RemoteAction",
    "RestResource",
    "SfdcOnly",
    "SuppressWarnings",
    "TestSetup",
    "TestVisible",
    "UseConnectDeserializer",
    "UseConnectSerializer",
    "VisibleApiVersion",
)

# Lower-cased name -> the canonical PascalCase spelling.
CANONICAL_ANNOTATIONS: dict[str, str] = {name.lower(): name for name in KNOWN_ANNOTATIONS}

_SYSTEM_TYPES = """
AccessLevel AccessType Address Answers ApexPages AppExchangeTrialTemplate
ApplicationReadWriteMode Approval Assert AssertException AsyncException AsyncInfo AsyncOptions
Aura AuraHandledException BigObjectException Blob Boolean BusinessHours Callable
CallbackStatus CalloutException CanvasException Cases Collator Communities Comparable
Comparator Continuation Cookie Crypto Currency Database Date Datetime Decimal DmlException
Domain DomainCreator DomainParser DomainType Double DuplicateMessageException EmailException
EmailMessages EmailTemplateRenderException EncodingUtil EventBus Exception
ExternalObjectException FatalCursorException FeatureManagement FinalException Finalizer
FinalizerContext FlexQueue FlowException Formula FormulaRecalcFieldError FormulaRecalcResult
HandledException Http HttpCalloutMock HttpRequest HttpResponse Id Ideas
IllegalArgumentException InstallContext InstallHandler Integer IntegrationTest
InvalidHeaderException InvalidParameterValueException InvalidReadOnlyUserDmlException Iterable
Iterator JSON JSONException JSONGenerator JSONParser JSONToken Label LicenseException
LimitException Limits List ListException Location LoggingLevel Long Map Matcher Math
MathException Messaging MultiStaticResourceCalloutMock Network NoAccessException
NoDataFoundException NoSuchElementException NullPointerException OrgLimit OrgLimits
PageReference ParentJobResult Pattern PlatformCacheException ProcedureException QueryException
Queueable QueueableContext QueueableContextImpl QueueableDuplicateSignature QuickAction
Quiddity RemoteObjectController Request RequiredFeatureMissingException ResetPasswordResult
RestContext RestRequest RestResponse SObject SObjectAccessDecision SObjectException Savepoint
Schedulable SchedulableContext SchedulableContextImpl Schema Search SearchException Security
SecurityException SelectOption SerializationException Set Site SoqlStubProvider
StaticResourceCalloutMock StatusCode String StringException StubProvider System Test Time
TimeZone TouchHandledException TransientCursorException Trigger TriggerOperation Type
TypeException UUID UnexpectedException UninstallHandler UnsupportedOperationException Url
UserInfo UserManagement Version VisualforceException WebServiceCallout WebServiceMock
XmlException XmlStreamReader XmlStreamWriter
"""

_SCHEMA_TYPES = """
ChildRelationship DataCategory DataCategoryGroupSobjectTypePair DescribeColorResult
DescribeDataCategoryGroupResult DescribeDataCategoryGroupStructureResult DescribeFieldResult
DescribeIconResult DescribeSObjectResult DescribeTabResult DescribeTabSetResult DisplayType
FieldSet FieldSetMember FilteredLookupInfo PicklistEntry RecordTypeInfo SObjectDescribeOptions
SObjectField SObjectType SObjectTypeFieldSets SObjectTypeFields SoapType
"""

SYSTEM_TYPES: frozenset[str] = frozenset(name.lower() for name in _SYSTEM_TYPES.split())
SCHEMA_TYPES: frozenset[str] = frozenset(name.lower() for name in _SCHEMA_TYPES.split())
