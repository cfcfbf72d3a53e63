"""SOQL analysis: a dedicated parser, syntax errors with fixes, and selectivity advice."""

from sfagent.diagnostics.soql.analysis import (
    SoqlAnalysis,
    analyze_soql,
    analyze_soql_input,
    describe_query,
)
from sfagent.diagnostics.soql.errors import SoqlSyntaxError
from sfagent.diagnostics.soql.evaluation import DatasetError, evaluate_soql_dataset
from sfagent.diagnostics.soql.model import (
    And,
    BindVariable,
    Comparison,
    Condition,
    FieldRef,
    FunctionCall,
    Literal,
    LiteralKind,
    Not,
    ObjectRef,
    Or,
    OrderItem,
    Query,
    SelectField,
    Subquery,
    TypeOf,
    ValueList,
)
from sfagent.diagnostics.soql.syntax import SoqlParseResult, parse_soql

__all__ = [
    "And",
    "BindVariable",
    "Comparison",
    "Condition",
    "DatasetError",
    "FieldRef",
    "FunctionCall",
    "Literal",
    "LiteralKind",
    "Not",
    "ObjectRef",
    "Or",
    "OrderItem",
    "Query",
    "SelectField",
    "SoqlAnalysis",
    "SoqlParseResult",
    "SoqlSyntaxError",
    "Subquery",
    "TypeOf",
    "ValueList",
    "analyze_soql",
    "analyze_soql_input",
    "describe_query",
    "evaluate_soql_dataset",
    "parse_soql",
]
