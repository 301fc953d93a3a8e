"""IAM policy evaluation (pure): identity-based policies and role trust policies, as the IAM User
Guide's "Policy evaluation logic" and "IAM JSON policy elements reference" describe them.

A request is allowed when some statement allows it and none denies it; a statement applies when its
Action (or NotAction), Resource (or NotResource), Principal (trust policies) and every Condition
match. moto 5.2.5 evaluates far less (docs/emulation.md, "IAM"); this module is what the emulator
evaluates instead.

Condition operators: String{Equals,NotEquals,EqualsIgnoreCase,NotEqualsIgnoreCase,Like,NotLike},
Arn{Equals,Like,NotEquals,NotLike}, Bool, Null, Numeric{Equals,NotEquals,LessThan,LessThanEquals,
GreaterThan,GreaterThanEquals}, each with `...IfExists`, and the ForAnyValue:/ForAllValues: set
qualifiers. An operator outside that list makes its statement not apply (fail closed).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Decision = Literal["allow", "explicit_deny", "implicit_deny"]


@dataclass(frozen=True)
class Request:
    """One authorization question: may the principal do `action` on `resource`?"""

    action: str  # "dynamodb:PutItem"
    resource: str  # an ARN, or "*" for actions with no resource-level permissions
    context: Mapping[str, Sequence[str]] = field(default_factory=dict)  # condition keys (any case)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _glob(pattern: str, value: str, *, fold: bool) -> bool:
    """IAM wildcards: `*` any run of characters, `?` one character; nothing else is special."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.IGNORECASE | re.DOTALL if fold else re.DOTALL) is not None


def _any_match(patterns: Any, value: str, *, fold: bool) -> bool:
    return any(_glob(str(p), value, fold=fold) for p in _as_list(patterns))


def statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [s for s in _as_list(document.get("Statement")) if isinstance(s, Mapping)]


def _action_applies(statement: Mapping[str, Any], action: str) -> bool:
    if "NotAction" in statement:
        return not _any_match(statement["NotAction"], action, fold=True)
    return _any_match(statement.get("Action"), action, fold=True)


def _resource_applies(statement: Mapping[str, Any], resource: str) -> bool:
    if "NotResource" in statement:
        return not _any_match(statement["NotResource"], resource, fold=False)
    if "Resource" not in statement:
        return True  # trust policies have none
    return _any_match(statement["Resource"], resource, fold=False)


def evaluate(documents: Iterable[Mapping[str, Any]], request: Request) -> Decision:
    """allow, explicit_deny (a Deny statement applies) or implicit_deny (no Allow applies)."""
    allowed = False
    for document in documents:
        for statement in statements(document):
            if not applies(statement, request):
                continue
            if statement.get("Effect") == "Deny":
                return "explicit_deny"
            allowed = allowed or statement.get("Effect") == "Allow"
    return "allow" if allowed else "implicit_deny"


def applies(statement: Mapping[str, Any], request: Request) -> bool:
    return (
        _action_applies(statement, request.action)
        and _resource_applies(statement, request.resource)
        and conditions_hold(statement.get("Condition") or {}, request.context)
    )


def trust_allows(document: Mapping[str, Any], principal: Mapping[str, str], request: Request) -> bool:
    """Whether a role's trust policy lets `principal` ({"Service": "ecs-tasks.amazonaws.com"} or
    {"AWS": "<caller ARN>"}) take `request` (sts:AssumeRole, with its context)."""
    allowed = False
    for statement in statements(document):
        if not _principal_matches(statement, principal) or not applies(statement, request):
            continue
        if statement.get("Effect") == "Deny":
            return False
        allowed = allowed or statement.get("Effect") == "Allow"
    return allowed


def _principal_matches(statement: Mapping[str, Any], principal: Mapping[str, str]) -> bool:
    given = statement.get("Principal")
    if given == "*":
        return True
    if not isinstance(given, Mapping):
        return False
    for kind, name in principal.items():
        for wanted in _as_list(given.get(kind)):
            wanted = str(wanted)
            if wanted == "*" or wanted == name:
                return True
            if kind == "AWS":  # an account id or its root names every principal of the account
                account = name.split(":")[4] if name.count(":") >= 5 else ""
                if wanted in (account, f"arn:{name.split(':')[1]}:iam::{account}:root"):
                    return True
    return False


def _lookup(context: Mapping[str, Sequence[str]], key: str) -> list[str] | None:
    lowered = key.lower()
    for name, values in context.items():
        if name.lower() == lowered:
            return [str(v) for v in values]
    return None


def _compare(operator: str, actual: str, wanted: str) -> bool | None:
    """One value against one policy value; None for an operator this module does not know."""
    if operator in ("StringEquals", "ArnEquals"):
        return actual == wanted
    if operator == "StringEqualsIgnoreCase":
        return actual.lower() == wanted.lower()
    if operator in ("StringLike", "ArnLike"):
        return _glob(wanted, actual, fold=False)
    if operator == "Bool":
        return actual.lower() == wanted.lower()
    if operator.startswith("Numeric"):
        try:
            left, right = float(actual), float(wanted)
        except ValueError:
            return False
        return {
            "NumericEquals": left == right,
            "NumericLessThan": left < right,
            "NumericLessThanEquals": left <= right,
            "NumericGreaterThan": left > right,
            "NumericGreaterThanEquals": left >= right,
        }.get(operator)
    return None


_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
    "NumericNotEquals": "NumericEquals",
}


def conditions_hold(block: Mapping[str, Any], context: Mapping[str, Sequence[str]]) -> bool:
    """Every operator, every key in it: the Condition element holds for this request context."""
    for raw_operator, keys in block.items():
        if not isinstance(keys, Mapping):
            return False
        for key, wanted in keys.items():
            if not _condition(raw_operator, key, [str(w).lower() if isinstance(w, bool) else str(w)
                                                  for w in _as_list(wanted)], context):  # fmt: skip
                return False
    return True


def _condition(raw_operator: str, key: str, wanted: list[str], context: Mapping[str, Sequence[str]]) -> bool:
    qualifier, _, operator = raw_operator.rpartition(":")
    if_exists = operator.endswith("IfExists")
    operator = operator.removesuffix("IfExists")
    actual = _lookup(context, key)
    if operator == "Null":
        return (actual is None or actual == []) == (wanted[0].lower() == "true")
    if actual is None:
        if if_exists or qualifier == "ForAllValues":
            return True
        return operator in _NEGATED  # a negated operator holds when the key is absent
    negated = operator in _NEGATED
    base = _NEGATED.get(operator, operator)
    if _compare(base, "", "") is None:
        return False  # an operator this module does not evaluate: the statement does not apply

    def one(value: str) -> bool:
        return any(bool(_compare(base, value, w)) for w in wanted)

    if qualifier == "ForAllValues":
        result = all(one(value) for value in actual)
    else:  # ForAnyValue, and single-valued keys
        result = any(one(value) for value in actual)
    return not result if negated else result
