"""The fixed words of SOQL: clause keywords, functions, date literals and operators."""

from __future__ import annotations

from typing import Final

# Words SOQL reserves: never a field name or an alias.
RESERVED: Final = frozenset(
    {
        "AND",
        "ASC",
        "DESC",
        "EXCLUDES",
        "FIRST",
        "FROM",
        "GROUP",
        "HAVING",
        "IN",
        "INCLUDES",
        "LAST",
        "LIKE",
        "LIMIT",
        "NOT",
        "NULL",
        "NULLS",
        "OR",
        "SELECT",
        "WHERE",
        "WITH",
    }
)

# Words that open a clause after FROM, in the order SOQL requires them.
CLAUSE_ORDER: Final = (
    "USING",
    "WHERE",
    "WITH",
    "GROUP",
    "HAVING",
    "ORDER",
    "LIMIT",
    "OFFSET",
    "FOR",
    "UPDATE",
    "ALL",
)
CLAUSE_WORDS: Final = frozenset(CLAUSE_ORDER)
# How a clause is written, for messages ("GROUP" is really "GROUP BY").
CLAUSE_TITLES: Final = {
    "USING": "USING SCOPE",
    "GROUP": "GROUP BY",
    "ORDER": "ORDER BY",
    "FOR": "FOR VIEW/REFERENCE/UPDATE",
    "UPDATE": "UPDATE TRACKING/VIEWSTAT",
    "ALL": "ALL ROWS",
}
# Keywords a developer sometimes glues to the next word ("FROMAccount", "GROUPBY").
GLUABLE_KEYWORDS: Final = ("SELECT", "FROM", "WHERE", "GROUP", "ORDER", "LIMIT", "OFFSET", "HAVING")

AGGREGATE_FUNCTIONS: Final = frozenset({"AVG", "COUNT", "COUNT_DISTINCT", "MIN", "MAX", "SUM"})
DATE_FUNCTIONS: Final = frozenset(
    {
        "CALENDAR_MONTH",
        "CALENDAR_QUARTER",
        "CALENDAR_YEAR",
        "DAY_IN_MONTH",
        "DAY_IN_WEEK",
        "DAY_IN_YEAR",
        "DAY_ONLY",
        "FISCAL_MONTH",
        "FISCAL_QUARTER",
        "FISCAL_YEAR",
        "HOUR_IN_DAY",
        "WEEK_IN_MONTH",
        "WEEK_IN_YEAR",
    }
)
# Functions that wrap one field (or one nested function) and return a value.
WRAPPING_FUNCTIONS: Final = frozenset({"FORMAT", "TOLABEL", "CONVERTCURRENCY", "CONVERTTIMEZONE"})
LOCATION_FUNCTIONS: Final = frozenset({"DISTANCE", "GEOLOCATION"})
ALL_FUNCTIONS: Final = (
    AGGREGATE_FUNCTIONS
    | DATE_FUNCTIONS
    | WRAPPING_FUNCTIONS
    | LOCATION_FUNCTIONS
    | frozenset({"GROUPING", "FIELDS"})
)
FIELDS_GROUPS: Final = frozenset({"ALL", "STANDARD", "CUSTOM"})
DISTANCE_UNITS: Final = frozenset({"mi", "km"})

DATE_LITERALS: Final = frozenset(
    {
        "YESTERDAY",
        "TODAY",
        "TOMORROW",
        "LAST_WEEK",
        "THIS_WEEK",
        "NEXT_WEEK",
        "LAST_MONTH",
        "THIS_MONTH",
        "NEXT_MONTH",
        "LAST_90_DAYS",
        "NEXT_90_DAYS",
        "THIS_QUARTER",
        "LAST_QUARTER",
        "NEXT_QUARTER",
        "THIS_YEAR",
        "LAST_YEAR",
        "NEXT_YEAR",
        "THIS_FISCAL_QUARTER",
        "LAST_FISCAL_QUARTER",
        "NEXT_FISCAL_QUARTER",
        "THIS_FISCAL_YEAR",
        "LAST_FISCAL_YEAR",
        "NEXT_FISCAL_YEAR",
    }
)
# Date literals that take a count after a colon: LAST_N_DAYS:30.
DATE_LITERALS_WITH_N: Final = frozenset(
    {
        "LAST_N_DAYS",
        "NEXT_N_DAYS",
        "N_DAYS_AGO",
        "LAST_N_WEEKS",
        "NEXT_N_WEEKS",
        "N_WEEKS_AGO",
        "LAST_N_MONTHS",
        "NEXT_N_MONTHS",
        "N_MONTHS_AGO",
        "LAST_N_QUARTERS",
        "NEXT_N_QUARTERS",
        "N_QUARTERS_AGO",
        "LAST_N_YEARS",
        "NEXT_N_YEARS",
        "N_YEARS_AGO",
        "LAST_N_FISCAL_QUARTERS",
        "NEXT_N_FISCAL_QUARTERS",
        "N_FISCAL_QUARTERS_AGO",
        "LAST_N_FISCAL_YEARS",
        "NEXT_N_FISCAL_YEARS",
        "N_FISCAL_YEARS_AGO",
    }
)

COMPARISON_OPERATORS: Final = frozenset({"=", "!=", "<>", "<", "<=", ">", ">="})
SET_OPERATORS: Final = frozenset({"IN", "NOT IN", "INCLUDES", "EXCLUDES"})
NEGATIVE_OPERATORS: Final = frozenset({"!=", "<>", "NOT IN", "EXCLUDES"})

SECURITY_MODES: Final = frozenset({"SECURITY_ENFORCED", "USER_MODE", "SYSTEM_MODE"})
DATA_CATEGORY_SELECTORS: Final = frozenset({"AT", "ABOVE", "BELOW", "ABOVE_OR_BELOW"})
FOR_MODES: Final = frozenset({"VIEW", "REFERENCE", "UPDATE"})
UPDATE_MODES: Final = frozenset({"TRACKING", "VIEWSTAT"})
