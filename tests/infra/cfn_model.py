"""What CloudFormation would deploy from a (transformed) template for given parameter values:
conditions evaluated, resources without their condition dropped, `Fn::If` chosen.

Only the intrinsic functions the template's conditions use are understood; anything else fails
loudly, so a new kind of condition cannot be silently misread.
"""

from __future__ import annotations

from typing import Any

NO_VALUE = object()


def parameter_values(cfn: dict[str, Any], **given: str) -> dict[str, Any]:
    """Defaults overridden by `given`; a CommaDelimitedList becomes a list, as Ref gives it."""
    values: dict[str, Any] = {}
    for name, spec in cfn["Parameters"].items():
        value = given.get(name, spec.get("Default"))
        if value is not None and spec["Type"] == "CommaDelimitedList":
            value = str(value).split(",")
        values[name] = value
    unknown = set(given) - set(values)
    assert not unknown, f"not template parameters: {unknown}"
    return values


def _value(expression: Any, parameters: dict[str, Any], conditions: dict[str, bool]) -> Any:
    if not isinstance(expression, dict):
        return expression
    (function, argument), *rest = expression.items()
    assert not rest, expression
    if function == "Ref":
        assert argument in parameters, f"Ref {argument} is not a parameter"
        return parameters[argument]
    if function == "Condition":
        return conditions[argument]
    if function == "Fn::Equals":
        left, right = (_value(a, parameters, conditions) for a in argument)
        return left == right
    if function == "Fn::And":
        return all(_value(a, parameters, conditions) for a in argument)
    if function == "Fn::Or":
        return any(_value(a, parameters, conditions) for a in argument)
    if function == "Fn::Not":
        return not _value(argument[0], parameters, conditions)
    if function == "Fn::Join":
        separator, items = argument
        return separator.join(_value(items, parameters, conditions))
    raise AssertionError(f"condition function not understood: {function}")


def conditions_for(cfn: dict[str, Any], **given: str) -> dict[str, bool]:
    parameters = parameter_values(cfn, **given)
    conditions: dict[str, bool] = {}
    pending = dict(cfn.get("Conditions", {}))
    while pending:  # conditions may refer to conditions defined after them
        progressed = False
        for name, expression in list(pending.items()):
            try:
                conditions[name] = bool(_value(expression, parameters, conditions))
            except KeyError:
                continue
            del pending[name]
            progressed = True
        assert progressed, f"circular conditions: {sorted(pending)}"
    return conditions


def choose(value: Any, conditions: dict[str, bool]) -> Any:
    """`value` with every `Fn::If` resolved and `AWS::NoValue` removed."""
    if isinstance(value, list):
        items = [choose(item, conditions) for item in value]
        return [item for item in items if item is not NO_VALUE]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Fn::If"}:
        condition, when_true, when_false = value["Fn::If"]
        return choose(when_true if conditions[condition] else when_false, conditions)
    if value == {"Ref": "AWS::NoValue"}:
        return NO_VALUE
    chosen = {key: choose(item, conditions) for key, item in value.items()}
    return {key: item for key, item in chosen.items() if item is not NO_VALUE}


def deployed(cfn: dict[str, Any], **given: str) -> dict[str, dict[str, Any]]:
    """The resources CloudFormation would create with these parameter values, resolved."""
    conditions = conditions_for(cfn, **given)
    return {
        name: choose(resource, conditions)
        for name, resource in cfn["Resources"].items()
        if conditions.get(resource.get("Condition", ""), True)
    }


def of_type(resources: dict[str, dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in resources.items() if r["Type"] == kind}
