"""Salesforce products (clouds and brands) and platform features, by name and common alias."""

from __future__ import annotations

from collections.abc import Iterator

from sfagent.nlu.entities.model import Entity, EntityType, MetaValue, make_entity
from sfagent.nlu.entities.phrases import PhraseMatcher, Tokens

# canonical name -> aliases (matched in any case unless listed in _EXACT_CASE)
PRODUCTS: dict[str, tuple[str, ...]] = {
    "Sales Cloud": ("Sales Cloud",),
    "Service Cloud": ("Service Cloud",),
    "Service Cloud Voice": ("Service Cloud Voice",),
    "Marketing Cloud": ("Marketing Cloud", "Marketing Cloud Engagement", "ExactTarget"),
    "Account Engagement": (
        "Account Engagement",
        "Marketing Cloud Account Engagement",
        "Pardot",
        "MCAE",
    ),
    "Experience Cloud": ("Experience Cloud", "Community Cloud", "Salesforce Communities"),
    "Commerce Cloud": ("Commerce Cloud", "B2B Commerce", "B2C Commerce", "Demandware"),
    "Tableau": ("Tableau", "Tableau Cloud", "Tableau Server"),
    "CRM Analytics": ("CRM Analytics", "Tableau CRM", "Einstein Analytics"),
    "MuleSoft": ("MuleSoft", "Anypoint Platform"),
    "Slack": ("Slack",),
    "Field Service": ("Field Service", "Field Service Lightning"),
    "CPQ": ("CPQ", "Salesforce CPQ", "Steelbrick"),
    "Revenue Cloud": ("Revenue Cloud",),
    "Salesforce Billing": ("Salesforce Billing",),
    "Data Cloud": ("Data Cloud", "Salesforce CDP", "Customer Data Platform"),
    "Agentforce": ("Agentforce",),
    "Einstein": ("Einstein", "Einstein GPT", "Einstein Copilot"),
    "Salesforce Platform": ("Salesforce Platform", "Lightning Platform", "Force.com"),
    "Health Cloud": ("Health Cloud",),
    "Financial Services Cloud": ("Financial Services Cloud", "FSC"),
    "Nonprofit Cloud": ("Nonprofit Cloud", "Nonprofit Success Pack", "NPSP"),
    "Education Cloud": ("Education Cloud",),
    "Manufacturing Cloud": ("Manufacturing Cloud",),
    "Consumer Goods Cloud": ("Consumer Goods Cloud",),
    "Automotive Cloud": ("Automotive Cloud",),
    "Net Zero Cloud": ("Net Zero Cloud", "Sustainability Cloud"),
    "Public Sector Solutions": ("Public Sector Solutions",),
    "Loyalty Management": ("Loyalty Management",),
    "Salesforce Shield": ("Salesforce Shield", "Shield Platform Encryption"),
    "Heroku": ("Heroku",),
    "Quip": ("Quip",),
    "Chatter": ("Chatter",),
    "Salesforce Maps": ("Salesforce Maps",),
    "Sales Engagement": ("Sales Engagement", "High Velocity Sales"),
}

FEATURES: dict[str, tuple[str, ...]] = {
    "Flow": ("Flow", "Flows", "Flow Builder", "Screen Flow", "record-triggered flow"),
    "Process Builder": ("Process Builder",),
    "Workflow Rules": ("Workflow Rule", "Workflow Rules"),
    "Approval Processes": ("Approval Process", "Approval Processes"),
    "Validation Rules": ("Validation Rule", "Validation Rules"),
    "Apex": ("Apex", "Apex class", "Apex classes", "Apex trigger", "Apex triggers"),
    "Batch Apex": ("Batch Apex",),
    "Visualforce": ("Visualforce", "VF page", "Visualforce page"),
    "Lightning Web Components": ("Lightning Web Components", "Lightning Web Component", "LWC"),
    "Aura Components": ("Aura", "Aura component", "Aura components"),
    "Lightning Experience": ("Lightning Experience",),
    "Salesforce Classic": ("Salesforce Classic",),
    "Lightning App Builder": ("Lightning App Builder",),
    "Experience Builder": ("Experience Builder",),
    "Reports": ("Reports", "Report Builder", "report type", "report types"),
    "Dashboards": ("Dashboards", "Dashboard"),
    "Omni-Channel": ("Omni-Channel", "Omni Channel", "Omnichannel"),
    "Email-to-Case": ("Email-to-Case", "Email to Case", "E2C"),
    "Web-to-Lead": ("Web-to-Lead", "Web to Lead"),
    "Web-to-Case": ("Web-to-Case", "Web to Case"),
    "Data Loader": ("Data Loader", "Dataloader"),
    "Data Import Wizard": ("Data Import Wizard",),
    "Change Sets": ("Change Set", "Change Sets", "outbound change set", "inbound change set"),
    "Sandboxes": ("sandbox", "sandboxes", "full sandbox", "partial copy sandbox"),
    "Salesforce CLI": ("Salesforce CLI", "SFDX", "Salesforce DX", "sf CLI"),
    "Developer Console": ("Developer Console", "Dev Console"),
    "Knowledge": ("Salesforce Knowledge", "Lightning Knowledge"),
    "Entitlements and Milestones": ("Entitlement Management", "Milestones"),
    "Sharing Rules": ("Sharing Rule", "Sharing Rules", "sharing settings"),
    "Role Hierarchy": ("Role Hierarchy",),
    "Duplicate Management": (
        "Duplicate Rule",
        "Duplicate Rules",
        "Matching Rule",
        "Matching Rules",
    ),
    "Assignment Rules": ("Assignment Rule", "Assignment Rules"),
    "Escalation Rules": ("Escalation Rule", "Escalation Rules"),
    "Page Layouts": ("Page Layout", "Page Layouts"),
    "List Views": ("List View", "List Views"),
    "Dynamic Forms": ("Dynamic Forms",),
    "Quick Actions": ("Quick Action", "Quick Actions"),
    "Platform Events": ("Platform Event", "Platform Events"),
    "Change Data Capture": ("Change Data Capture", "CDC"),
    "REST API": ("REST API",),
    "SOAP API": ("SOAP API",),
    "Bulk API": ("Bulk API", "Bulk API 2.0"),
    "Metadata API": ("Metadata API",),
    "Tooling API": ("Tooling API",),
    "Streaming API": ("Streaming API",),
    "Pub/Sub API": ("Pub/Sub API",),
    "Connected Apps": ("Connected App", "Connected Apps", "External Client App"),
    "Named Credentials": ("Named Credential", "Named Credentials"),
    "Single Sign-On": ("Single Sign-On", "Single Sign On", "SSO"),
    "Multi-Factor Authentication": ("Multi-Factor Authentication", "MFA", "2FA"),
    "SOQL": ("SOQL",),
    "SOSL": ("SOSL",),
    "Debug Logs": ("debug log", "debug logs"),
    "Scheduled Jobs": ("Scheduled Apex", "scheduled job", "scheduled jobs"),
    "Einstein Activity Capture": ("Einstein Activity Capture", "EAC"),
    "Outlook Integration": ("Outlook integration", "Outlook add-in"),
    "Gmail Integration": ("Gmail integration",),
    "Salesforce Mobile App": ("Salesforce mobile app", "mobile app", "Salesforce app"),
    "Territory Management": ("Territory Management", "Enterprise Territory Management"),
    "Forecasts": ("Collaborative Forecasts", "Forecasting"),
    "Roll-Up Summary Fields": ("roll-up summary", "rollup summary", "roll-up summary field"),
    "Formula Fields": ("formula field", "formula fields"),
    # Setup nouns only Salesforce uses: a message naming one is about Salesforce, however
    # the intent model reads its wording.
    "Picklists": ("picklist", "picklists", "dependent picklist", "dependent picklists"),
    "Record Types": ("record type", "record types"),
    "Permission Sets": (
        "permission set",
        "permission sets",
        "permission set group",
        "permission set groups",
    ),
    "Object Manager": ("Object Manager",),
    "Custom Fields": ("custom field", "custom fields"),
    "Custom Objects": ("custom object", "custom objects"),
    "Data Export Service": ("Data Export Service", "weekly export", "weekly data export"),
    "Activity Capture": ("Activity Capture",),
}

# Short or everyday words count only when written exactly like this.
_EXACT_CASE = frozenset(
    [
        "Flow",
        "Flows",
        "Apex",
        "Aura",
        "Reports",
        "Dashboards",
        "Dashboard",
        "Slack",
        "Quip",
        "Chatter",
        "Einstein",
        "Tableau",
        "CPQ",
        "FSC",
        "NPSP",
        "MCAE",
        "LWC",
        "SSO",
        "MFA",
        "2FA",
        "CDC",
        "EAC",
        "E2C",
        "SOQL",
        "SOSL",
        "Milestones",
        "Forecasting",
    ]
)


def _entries(
    groups: dict[str, tuple[str, ...]], kind: EntityType, *, plurals: bool = False
) -> list[tuple[str, tuple[EntityType, str], bool]]:
    entries: list[tuple[str, tuple[EntityType, str], bool]] = []
    for canonical, aliases in groups.items():
        names = set(aliases)
        if plurals:  # "we still have 27 Process Builders", "two Record Types"
            names |= {_plural(alias) for alias in aliases if _pluralisable(alias)}
        entries.extend((name, (kind, canonical), name in _EXACT_CASE) for name in sorted(names))
    return entries


def _pluralisable(alias: str) -> bool:
    return alias[-1:].isalpha() and alias[-1] not in "sSyY" and alias not in _EXACT_CASE


def _plural(alias: str) -> str:
    return f"{alias}s"


_MATCHER = PhraseMatcher(
    [
        *_entries(PRODUCTS, EntityType.PRODUCT),
        *_entries(FEATURES, EntityType.FEATURE, plurals=True),
    ]
)


def find_products_and_features(text: str, tokens: Tokens) -> Iterator[Entity]:
    """Product and feature mentions, normalised to one canonical name each."""
    for hit in _MATCHER.find(tokens):
        kind, canonical = hit.payload
        meta: dict[str, MetaValue] = {}
        yield make_entity(kind, text, hit.start, hit.end, canonical, meta)
