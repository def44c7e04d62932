"""ARM template evaluation: a template and parameter values -> Azure resource objects.

What is evaluated: parameters (given values over defaults, with their declared types and
allowed values), variables (lazily, with ``copy`` loops), resources with ``condition`` and
``copy``, property ``copy`` loops anywhere in a resource body, nested child resources (their
type and name completed from the parent's), inline nested deployments
(``Microsoft.Resources/deployments`` with ``properties.template``, inner or outer scope) and
``languageVersion 2.0`` templates whose ``resources`` is an object of symbolic names.

Only the bodies of network and compute resources are evaluated (they are the ones the mapper
reads); other resources are named and listed as skipped, so an expression in, say, a storage
account or a web app never stops an import. Outputs are never evaluated.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .arm_expressions import Context, Deferred, evaluate, is_expression, lookup, resource_id
from .errors import ImportFailure, Note
from .inventory import AzureResource

DEFAULT_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
DEFAULT_RESOURCE_GROUP = "imported-rg"
DEFAULT_LOCATION = "westeurope"
#: resource bodies of these namespaces are evaluated; others are only named
EVALUATED_NAMESPACES = ("microsoft.network/", "microsoft.compute/")
#: a copy loop longer than this is refused (Azure's own limit is 800)
MAX_COPY = 10_000
#: placeholder for a secure parameter given no value (it never matters to the network)
SECURE_PLACEHOLDER = "(secure value not given)"
#: placeholder for a string parameter given no value: fine where the outbound model does not
#: look (an admin user name), refused where it does (a resource's name, a network property)
UNSET_PLACEHOLDER = "\u2039no value for parameter {name}\u203a"

_MISSING = object()


@dataclass(frozen=True)
class TemplateParameter:
    """A parameter a template declares, for the editor's parameter dialog and messages."""
    name: str
    type: str
    has_default: bool
    default: Any
    description: str
    allowed: tuple | None
    #: languageVersion 2.0 (Bicep ``param x string?``): may be left out, and is then null
    nullable: bool = False

    @property
    def secure(self) -> bool:
        return self.type.lower().startswith("secure")

    @property
    def required(self) -> bool:
        """A value must be given: no default, not nullable, not a secret (secrets never
        matter to the network and get a placeholder)."""
        return not (self.has_default or self.nullable or self.secure)


# ============================================================================ reading

def read_json(text: str, source: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        # (some of json's messages end in "at", meant to be followed by the position)
        raise ImportFailure(f"{source}: not valid JSON: {exc.msg.removesuffix(' at')} at line "
                            f"{exc.lineno} column {exc.colno}") from None
    except (RecursionError, ValueError):
        raise ImportFailure(f"{source}: not valid JSON (nested too deeply or a number too "
                            f"large)") from None


def is_arm_template(doc: Any) -> bool:
    """A deployment template: a ``$schema`` naming one, or ``resources`` beside the other
    template sections."""
    if not isinstance(doc, dict):
        return False
    schema = doc.get("$schema")
    if isinstance(schema, str) and "deploymenttemplate" in schema.lower():
        return True
    return "resources" in doc and isinstance(doc.get("resources"), (list, dict)) and \
        any(k in doc for k in ("contentVersion", "parameters", "variables", "$schema"))


def is_parameters_file(doc: Any) -> bool:
    schema = doc.get("$schema") if isinstance(doc, dict) else None
    return isinstance(schema, str) and "deploymentparameters" in schema.lower()


def template_parameters(template: dict) -> list[TemplateParameter]:
    out = []
    declared = template.get("parameters") if isinstance(template, dict) else None
    for name, spec in (declared.items() if isinstance(declared, dict) else ()):
        spec = spec if isinstance(spec, dict) else {}
        default = lookup(spec, "defaultValue")
        has_default = any(k.lower() == "defaultvalue" for k in spec)
        metadata = lookup(spec, "metadata")
        description = lookup(metadata, "description") if isinstance(metadata, dict) else None
        allowed = lookup(spec, "allowedValues")
        ptype = _declared_type(spec, template)
        out.append(TemplateParameter(str(name), ptype if isinstance(ptype, str) else "string",
                                     has_default, default,
                                     description if isinstance(description, str) else "",
                                     tuple(allowed) if isinstance(allowed, list) else None,
                                     lookup(spec, "nullable") is True))
    return out


def _declared_type(spec: dict, template: dict) -> Any:
    """A parameter's type, following languageVersion 2.0's ``"$ref": "#/definitions/x"`` (a
    user-defined type of Bicep) to the definition's own type."""
    seen = 0
    while lookup(spec, "type") is None and isinstance(spec.get("$ref"), str) and seen < 10:
        name = spec["$ref"].rsplit("/", 1)[-1]
        definitions = template.get("definitions")
        spec = lookup(definitions, name) if isinstance(definitions, dict) else None
        if not isinstance(spec, dict):
            return None
        seen += 1
    return lookup(spec, "type")


def parameter_values_from_file(doc: Any, source: str) -> dict[str, Any]:
    """Values from ``--params FILE``: a deployment parameters file (``{"parameters": {"n":
    {"value": v}}}``) or a plain object ``{"n": v}``."""
    if not isinstance(doc, dict):
        raise ImportFailure(f"{source}: a parameters file must be a JSON object")
    declared = doc.get("parameters")
    if is_parameters_file(doc) or (isinstance(declared, dict) and declared and all(
            isinstance(v, dict) and ("value" in v or "reference" in v)
            for v in declared.values())):
        if not isinstance(declared, dict):
            raise ImportFailure(f"{source}: parameters: expected an object")
        out = {}
        for name, entry in declared.items():
            if not isinstance(entry, dict) or not ("value" in entry or "reference" in entry):
                raise ImportFailure(f"{source}: parameters.{name}: expected {{\"value\": ...}}")
            # a Key Vault reference is a secret: never a network setting
            out[name] = entry["value"] if "value" in entry else SECURE_PLACEHOLDER
        return out
    return dict(doc)


def coerce_parameter(parameter: TemplateParameter | None, name: str, text: str) -> Any:
    """A ``--param NAME=VALUE`` string as the declared type wants it."""
    ptype = (parameter.type if parameter else "string").lower()
    if ptype == "int":
        try:
            return int(text)
        except ValueError:
            raise ImportFailure(f"--param {name}: expected an integer, got {text!r}") from None
    if ptype == "bool":
        if text.lower() in ("true", "false"):
            return text.lower() == "true"
        raise ImportFailure(f"--param {name}: expected true or false, got {text!r}")
    if ptype in ("array", "object", "secureobject"):
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            raise ImportFailure(f"--param {name}: expected JSON for a parameter of type "
                                f"{parameter.type}, got {text!r}") from None
        return value
    return text


# ============================================================================ evaluation

class TemplateEvaluator(Context):
    """Evaluates one template. ``resources()`` gives its resources; ``notes`` what it set
    aside (linked templates, existing resources)."""

    def __init__(self, template: dict, given: dict[str, Any], *, source: str = "template",
                 subscription_id: str = DEFAULT_SUBSCRIPTION,
                 resource_group: str = DEFAULT_RESOURCE_GROUP,
                 location: str = DEFAULT_LOCATION, path: str = ""):
        super().__init__(subscription_id, resource_group, location)
        if not isinstance(template, dict):
            raise ImportFailure(f"{source}: a template must be a JSON object")
        self.template = template
        self.source = source
        self.prefix = path
        self.notes: list[Note] = []
        self.declared = {p.name.lower(): p for p in template_parameters(template)}
        given = dict(given)
        self.given: dict[str, Any] = {}
        for name, value in given.items():
            if name.lower() not in self.declared:
                known = ", ".join(p.name for p in self.declared.values()) or "none"
                raise ImportFailure(f"{source}: parameter {name!r} is not declared by the "
                                    f"template (it declares: {known})")
            self.given[name.lower()] = value
        variables = template.get("variables", {})
        if not isinstance(variables, dict):
            raise ImportFailure(f"{source}: {path}variables: expected an object")
        self.variable_specs = {str(k).lower(): (k, v) for k, v in variables.items()
                               if str(k).lower() != "copy"}
        for index, loop in enumerate(variables.get("copy", []) if isinstance(
                variables.get("copy"), list) else []):
            if isinstance(loop, dict) and isinstance(loop.get("name"), str):
                self.variable_specs[loop["name"].lower()] = (loop["name"], {"$copy": loop,
                                                                            "$index": index})
        self.parameter_values: dict[str, Any] = {}
        #: string parameters without a value that were used, lower case -> declaration
        self.unset: dict[str, TemplateParameter] = {}
        self.variable_values: dict[str, Any] = {}
        self.evaluating: set[str] = set()
        #: inline nested deployments by name (and, in languageVersion 2.0, symbolic name),
        #: lower case -> (raw resource, context, JSON path, name): what reference() can see
        self.deployments: dict[str, tuple[dict, Context, str, str]] = {}
        #: deployment name (lower case) -> its evaluation scope, and its reference() result
        self.inner_scopes: dict[str, tuple | None] = {}
        self.deployment_results: dict[str, dict | None] = {}
        self._prepared = False

    # ---------------------------------------------------------------- parameters, variables
    def missing_parameters(self) -> list[TemplateParameter]:
        """Parameters without a value that the import cannot go on without: every required
        one but strings, which get :data:`UNSET_PLACEHOLDER` and are checked where they end
        up (:meth:`check_unset`; most are admin user names and DNS labels)."""
        return [p for key, p in self.declared.items() if key not in self.given and p.required
                and p.type.lower() != "string"]

    def check_parameters(self) -> None:
        missing = self.missing_parameters()
        if missing:
            described = ", ".join(p.name + (f" ({p.description})" if p.description else "")
                                  for p in missing)
            raise ImportFailure(f"{self.source}: no value for parameter(s) {described}; give "
                                f"them with --param NAME=VALUE or --params FILE")
        for key in self.declared:
            self.parameter(self.declared[key].name, f"{self.prefix}parameters")

    def _once(self, kind: str, name: str, path: str, cache: dict[str, Any], declared: Any,
              compute) -> Any:
        """A parameter's or variable's value, evaluated on first use (they may refer to each
        other in any order) and refused when it refers to itself."""
        key = name.lower()
        if key in cache:
            return cache[key]
        if key not in declared:
            raise ImportFailure(f"{path}: {kind}s('{name}'): the template declares no such "
                                f"{kind}")
        marker = f"{kind}:{key}"
        if marker in self.evaluating:
            raise ImportFailure(f"{path}: {kind} {name!r} refers to itself")
        self.evaluating.add(marker)
        try:
            cache[key] = compute(key)
        finally:
            self.evaluating.discard(marker)
        return cache[key]

    def parameter(self, name: str, path: str) -> Any:
        return self._once("parameter", name, path, self.parameter_values, self.declared,
                          lambda key: self._parameter_value(key, path))

    def _parameter_value(self, key: str, path: str) -> Any:
        spec = self.declared[key]
        if key in self.given:
            value = self.given[key]
            if spec.allowed is not None and not any(
                    value == a or (isinstance(value, str) and isinstance(a, str) and
                                   value.lower() == a.lower()) for a in spec.allowed):
                raise ImportFailure(f"{self.source}: parameter {spec.name}: {value!r} is not "
                                    f"one of the allowed values "
                                    f"({', '.join(map(str, spec.allowed))})")
            self._check_limits(spec, value)
            return value
        if spec.has_default:
            return self.value(spec.default, self,
                              f"{self.prefix}parameters.{spec.name}.defaultValue")
        if spec.secure:
            return SECURE_PLACEHOLDER
        if spec.nullable:
            return None
        if spec.type.lower() == "string":
            self.unset[key] = spec
            return UNSET_PLACEHOLDER.format(name=spec.name)
        raise ImportFailure(f"{path}: parameter {spec.name!r} has no value; give it with "
                            f"--param {spec.name}=VALUE")

    def _check_limits(self, spec: TemplateParameter, value: Any) -> None:
        """A given value outside the parameter's minValue/maxValue/minLength/maxLength is
        refused, as Azure refuses the deployment (a scale set of 2,000 where the template
        allows 100 would import a design that cannot be deployed)."""
        if value == SECURE_PLACEHOLDER:
            return
        raw = (self.template.get("parameters") or {}).get(spec.name)
        raw = raw if isinstance(raw, dict) else {}
        for key, too in (("minValue", "below"), ("maxValue", "above")):
            limit = lookup(raw, key)
            if isinstance(limit, int) and isinstance(value, int) and not isinstance(value, bool) \
                    and (value < limit if too == "below" else value > limit):
                raise ImportFailure(f"{self.source}: parameter {spec.name}: {value} is {too} "
                                    f"its {key} {limit}")
        for key, too in (("minLength", "shorter"), ("maxLength", "longer")):
            limit = lookup(raw, key)
            if isinstance(limit, int) and isinstance(value, (str, list)) and \
                    (len(value) < limit if too == "shorter" else len(value) > limit):
                raise ImportFailure(f"{self.source}: parameter {spec.name}: {len(value)} "
                                    f"{'characters' if isinstance(value, str) else 'items'}, "
                                    f"{too} than its {key} {limit}")

    def variable(self, name: str, path: str) -> Any:
        return self._once("variable", name, path, self.variable_values, self.variable_specs,
                          self._variable_value)

    def _variable_value(self, key: str) -> Any:
        spelled, raw = self.variable_specs[key]
        if isinstance(raw, dict) and "$copy" in raw:
            return self.loop_values(raw["$copy"], self,
                                    f"{self.prefix}variables.copy[{raw['$index']}]")
        return self.value(raw, self, f"{self.prefix}variables.{spelled}")

    # ---------------------------------------------------------------- values
    def value(self, raw: Any, ctx: Context, path: str) -> Any:
        """A template value with its expressions evaluated and its property loops expanded."""
        if isinstance(raw, str):
            if is_expression(raw):
                return evaluate(raw, ctx, path)
            return raw[1:] if raw.startswith("[[") else raw
        if isinstance(raw, list):
            return [self.value(item, ctx, f"{path}[{i}]") for i, item in enumerate(raw)]
        if isinstance(raw, dict):
            out: dict[str, Any] = {}
            for key, item in raw.items():
                if key.lower() == "copy" and isinstance(item, list):
                    for index, loop in enumerate(item):
                        loop_path = f"{path}.copy[{index}]"
                        if not isinstance(loop, dict) or not isinstance(loop.get("name"), str):
                            raise ImportFailure(f"{loop_path}: a property loop needs a name")
                        out[loop["name"]] = self.loop_values(loop, ctx, loop_path)
                    continue
                out[key] = self.value(item, ctx, f"{path}.{key}")
            return out
        return raw

    def loop_values(self, loop: dict, ctx: Context, path: str) -> list:
        name = loop["name"]
        count = self.count(lookup(loop, "count"), ctx, f"{path}.count")
        template = lookup(loop, "input")
        return [self.value(template, ctx.with_loop(name, i), f"{path}.input")
                for i in range(count)]

    def count(self, raw: Any, ctx: Context, path: str) -> int:
        count = self.value(raw, ctx, path)
        if isinstance(count, Deferred):
            raise ImportFailure(f"{path}: the loop count comes from {count.origin}, which is "
                                f"known only at deployment")
        if isinstance(count, bool) or not isinstance(count, int):
            raise ImportFailure(f"{path}: a copy count must be an integer, got {count!r}"[:200])
        if not 0 <= count <= MAX_COPY:
            raise ImportFailure(f"{path}: copy count {count} is outside 0..{MAX_COPY}")
        return count

    # ---------------------------------------------------------------- resources
    def _items(self) -> list[tuple[str, Any, str | None]]:
        """(JSON path, resource, symbolic name or None) of each top-level resource."""
        raw = self.template.get("resources", [])
        path = f"{self.prefix}resources"
        if isinstance(raw, list):
            return [(f"{path}[{i}]", r, None) for i, r in enumerate(raw)]
        if isinstance(raw, dict):  # languageVersion 2.0: symbolic names
            return [(f"{path}.{k}", r, str(k)) for k, r in raw.items()]
        raise ImportFailure(f"{self.source}: {path}: expected a list of resources")

    def prepare(self) -> None:
        """Check the parameters and learn the nested deployments (once)."""
        if self._prepared:
            return
        self._prepared = True
        self.check_parameters()
        self.register_deployments(self._items())

    def resources(self) -> list[AzureResource]:
        self.prepare()
        out: list[AzureResource] = []
        for item_path, resource, _symbol in self._items():
            self.expand(resource, self, item_path, None, out)
        self.check_unset(out)
        return out

    def check_unset(self, resources: list[AzureResource]) -> None:
        """String parameters left without a value: refused (one line naming them and where)
        when one reaches what the outbound model reads — a resource's name, a network
        resource's properties, a VM's or scale set's network profile and SKU — else noted."""
        if not self.unset:
            return
        used: dict[str, str] = {}
        # each placeholder as it reads in a name, and as it reads in JSON text
        marks = {key: (mark, json.dumps(mark)[1:-1]) for key, mark in
                 ((key, UNSET_PLACEHOLDER.format(name=spec.name))
                  for key, spec in self.unset.items())}
        for resource in resources:
            rtype = resource.type.lower()
            read: list[Any] = []
            if rtype.startswith("microsoft.network/"):
                # a DNS label is for inbound names: most templates leave it to the deployer
                read = [{k: v for k, v in resource.properties.items() if k != "dnsSettings"},
                        resource.sku]
            elif rtype.startswith("microsoft.compute/"):
                profile = lookup(resource.properties, "virtualMachineProfile")
                read = [lookup(resource.properties, "networkProfile"), resource.sku,
                        lookup(profile, "networkProfile") if isinstance(profile, dict) else None]
            text = json.dumps(read, default=str)   # (values known only at deployment)
            for key, (mark, in_json) in marks.items():
                if key in used:
                    continue
                if mark in resource.name:
                    used[key] = f"names a {resource.type} ({resource.origin})"
                elif in_json in text:
                    used[key] = f"used by {resource.type} {resource.name} ({resource.origin})"
        if used:
            described = "; ".join(
                self.unset[key].name
                + (f" ({self.unset[key].description})" if self.unset[key].description else "")
                + f", which {where}" for key, where in used.items())
            raise ImportFailure(f"{self.source}: no value for parameter(s) {described}; give "
                                f"them with --param NAME=VALUE or --params FILE")
        for spec in self.unset.values():
            self.notes.append(Note("info", "import-parameter-unset",
                                   f"parameter {spec.name} has no value (no default, not "
                                   f"given): it feeds nothing the outbound model reads, so "
                                   f"the import went on without it"))
        self.unset = {}

    # ---------------------------------------------------------------- nested deployments
    def register_deployments(self, items: list[tuple[str, Any, str | None]]) -> None:
        """Name every inline nested deployment (each copy of a looped one), so that
        ``reference(resourceId('Microsoft.Resources/deployments', NAME)).outputs.X.value``
        — Bicep's way of passing one module's outputs to another — can be answered wherever
        it appears. A deployment whose name cannot be evaluated here is left to ``expand``,
        which reports it in its place."""
        for item_path, raw, symbol in items:
            if not isinstance(raw, dict):
                continue
            rtype = lookup(raw, "type")
            if not isinstance(rtype, str) or rtype.lower() != "microsoft.resources/deployments":
                continue
            try:
                contexts: list[Context] = [self]
                loop = lookup(raw, "copy")
                if isinstance(loop, dict):
                    count = self.count(lookup(loop, "count"), self, f"{item_path}.copy.count")
                    loop_name = lookup(loop, "name")
                    contexts = []
                    for index in range(count):
                        inner = self.with_loop("", index)
                        if isinstance(loop_name, str):
                            inner = inner.with_loop(loop_name, index)
                        contexts.append(inner)
                names = []
                for ctx in contexts:
                    name = self.value(lookup(raw, "name"), ctx, f"{item_path}.name")
                    if isinstance(name, str) and name:
                        self.deployments.setdefault(name.lower(), (raw, ctx, item_path, name))
                        names.append(name)
            except ImportFailure:
                continue
            if symbol and len(names) == 1:
                self.deployments.setdefault(symbol.lower(), self.deployments[names[0].lower()])

    def reference_value(self, target: str, path: str) -> Any:
        text = target.strip().rstrip("/")
        marker = "microsoft.resources/deployments/"
        at = text.lower().rfind(marker)
        if at >= 0:
            name = text[at + len(marker):]
        elif "/" in text:
            return None          # another resource: its runtime state is not known
        else:
            name = text          # a name, or a symbolic name (languageVersion 2.0)
        if "/" in name or name.lower() not in self.deployments:
            return None
        return self.deployment_result(name.lower(), path)

    def deployment_result(self, key: str, path: str) -> dict | None:
        """What ``reference()`` of an inline nested deployment gives: its ``outputs``, each
        evaluated in the deployment's scope. An output the import cannot evaluate is a value
        known only at deployment (reported where the mapper reads it), not a failure."""
        raw, ctx, item_path, name = self.deployments[key]
        key = name.lower()
        if key in self.deployment_results:
            return self.deployment_results[key]
        marker = f"deployment:{key}"
        if marker in self.evaluating:
            raise ImportFailure(f"{path}: deployment {name!r} refers to its own outputs")
        self.evaluating.add(marker)
        try:
            scope = self.inner_scope(raw, ctx, item_path, name)
            result = None
            if scope is not None:
                evaluator, scoped, inner_path, template = scope
                if evaluator is not self:
                    evaluator.prepare()
                outputs = lookup(template, "outputs")
                values = {}
                for out_name, spec in (outputs.items() if isinstance(outputs, dict) else ()):
                    out_path = f"{inner_path}outputs.{out_name}"
                    try:
                        value = evaluator.output_value(spec, scoped, out_path)
                    except ImportFailure as exc:
                        value = Deferred(f"output {out_name} of deployment {name}, which the "
                                         f"import cannot evaluate: {exc}")
                    values[out_name] = {"type": lookup(spec, "type") if isinstance(
                        spec, dict) else None, "value": value}
                result = {"outputs": values, "provisioningState": "Succeeded"}
        finally:
            self.evaluating.discard(marker)
        self.deployment_results[key] = result
        return result

    def output_value(self, spec: Any, ctx: Context, path: str) -> Any:
        if not isinstance(spec, dict):
            return spec
        condition = lookup(spec, "condition")
        if condition is not None and self.value(condition, ctx, f"{path}.condition") is False:
            return None
        loop = lookup(spec, "copy")
        if isinstance(loop, dict):
            count = self.count(lookup(loop, "count"), ctx, f"{path}.copy.count")
            return [self.value(lookup(loop, "input"), ctx.with_loop("", i), f"{path}.copy.input")
                    for i in range(count)]
        return self.value(lookup(spec, "value"), ctx, f"{path}.value")

    def inner_scope(self, raw: dict, ctx: Context, path: str, name: str) -> tuple | None:
        """(evaluator, context, JSON path prefix, template) of an inline nested deployment;
        None for a linked one (``templateLink``). Made once per deployment, for its
        resources and its outputs alike."""
        key = name.lower()
        if key in self.inner_scopes:
            return self.inner_scopes[key]
        properties = lookup(raw, "properties")
        properties = properties if isinstance(properties, dict) else {}
        template = lookup(properties, "template")
        scope: tuple | None = None
        if isinstance(template, dict):
            group = self.value(lookup(raw, "resourceGroup"), ctx, f"{path}.resourceGroup")
            group = group if isinstance(group, str) and group else ctx.resource_group
            options = lookup(properties, "expressionEvaluationOptions")
            mode = lookup(options, "scope") if isinstance(options, dict) else None
            inner_path = f"{path}.properties.template."
            if isinstance(mode, str) and mode.lower() == "inner":
                given_raw = self.value(lookup(properties, "parameters") or {}, ctx,
                                       f"{path}.properties.parameters")
                given = {k: (lookup(v, "value") if isinstance(v, dict) else v)
                         for k, v in (given_raw.items() if isinstance(given_raw, dict) else ())}
                inner = TemplateEvaluator(template, given, source=self.source,
                                          subscription_id=ctx.subscription_id,
                                          resource_group=group, location=ctx.location,
                                          path=inner_path)
                scope = (inner, inner, inner_path, template)
            else:
                scoped = ctx
                if group != ctx.resource_group:
                    scoped = object.__new__(type(ctx))
                    scoped.__dict__.update(ctx.__dict__)
                    scoped.resource_group = group
                scope = (self, scoped, inner_path, template)
        self.inner_scopes[key] = scope
        return scope

    def expand(self, raw: Any, ctx: Context, path: str, parent: AzureResource | None,
               out: list[AzureResource]) -> None:
        if not isinstance(raw, dict):
            raise ImportFailure(f"{path}: a resource must be an object")
        loop = lookup(raw, "copy")
        if loop is not None:
            if not isinstance(loop, dict):
                raise ImportFailure(f"{path}.copy: expected an object with name and count")
            name = lookup(loop, "name")
            count = self.count(lookup(loop, "count"), ctx, f"{path}.copy.count")
            for index in range(count):
                inner = ctx.with_loop("", index)
                if isinstance(name, str):
                    inner = inner.with_loop(name, index)
                self.one(raw, inner, path, parent, out)
        else:
            self.one(raw, ctx, path, parent, out)

    def one(self, raw: dict, ctx: Context, path: str, parent: AzureResource | None,
            out: list[AzureResource]) -> None:
        if "condition" in raw or lookup(raw, "condition") is not None:
            condition = self.value(lookup(raw, "condition"), ctx, f"{path}.condition")
            if isinstance(condition, str) and condition.lower() in ("true", "false"):
                condition = condition.lower() == "true"
            if condition is False:
                return
            if not isinstance(condition, (bool, Deferred)):
                raise ImportFailure(f"{path}.condition: expected true or false")
        rtype = self.value(lookup(raw, "type"), ctx, f"{path}.type")
        name = self.value(lookup(raw, "name"), ctx, f"{path}.name")
        if not isinstance(rtype, str) or not rtype:
            raise ImportFailure(f"{path}.type: a resource needs a type string")
        if not isinstance(name, str) or not name:
            raise ImportFailure(f"{path}.name: a resource needs a name string, got "
                                f"{'a value known only at deployment' if isinstance(name, Deferred) else repr(name)[:60]}")
        full_type, full_name = rtype, name
        if parent is not None and "/" not in rtype.split("/")[0] and "." not in rtype.split("/")[0]:
            full_type = f"{parent.type}/{rtype}"
        segments = full_type.split("/")
        if len(segments) < 2:
            raise ImportFailure(f"{path}.type: {rtype!r} is not Namespace/type")
        names = full_name.split("/")
        if parent is not None and len(names) < len(segments) - 1:
            full_name = f"{parent.name}/{full_name}"
            names = full_name.split("/")
        if len(names) != len(segments) - 1:
            raise ImportFailure(f"{path}.name: {full_name!r} does not fit type {full_type!r} "
                                f"({len(segments) - 1} name segment(s) expected)")
        where = f"{self.source} {path}"
        group = ctx.resource_group
        rid = resource_id(ctx.subscription_id, group, full_type, names)
        if lookup(raw, "existing") is True:
            self.notes.append(Note("info", "import-existing",
                                   f"{rid}: an existing resource the template refers to; not "
                                   f"part of the template, so not imported", rid))
            return
        key = full_type.lower()
        if key == "microsoft.resources/deployments":
            self.nested(raw, ctx, path, rid, out)
            return
        resource = AzureResource(rid, full_type, full_name, origin=where)
        if key.startswith(EVALUATED_NAMESPACES):
            body = {k: v for k, v in raw.items()
                    if k.lower() in ("properties", "sku", "kind", "zones")}
            body = self.value(body, ctx, path)
            properties = lookup(body, "properties")
            resource.properties = properties if isinstance(properties, dict) else {}
            resource.sku = lookup(body, "sku")
            resource.kind = lookup(body, "kind")
            resource.extra["zones"] = lookup(body, "zones")
        out.append(resource)
        children = lookup(raw, "resources")
        if isinstance(children, list):
            for index, child in enumerate(children):
                self.expand(child, ctx, f"{path}.resources[{index}]", resource, out)
        elif children is not None:
            raise ImportFailure(f"{path}.resources: expected a list of child resources")

    def nested(self, raw: dict, ctx: Context, path: str, rid: str,
               out: list[AzureResource]) -> None:
        """An inline nested deployment: its resources join ours; a linked one is noted."""
        scope = self.inner_scope(raw, ctx, path, rid.rsplit("/", 1)[-1])
        if scope is None:
            self.notes.append(Note("info", "import-skipped",
                                   f"{rid}: a linked template (templateLink) is not fetched; "
                                   f"import it as a source of its own", rid))
            return
        evaluator, scoped, inner_path, template = scope
        if evaluator is not self:
            out.extend(evaluator.resources())
            self.notes.extend(evaluator.notes)
            return
        resources = lookup(template, "resources")
        for index, resource in enumerate(resources if isinstance(resources, list) else []):
            self.expand(resource, scoped, f"{inner_path}resources[{index}]", None, out)


def evaluate_template(template: Any, parameters: dict[str, Any] | None = None, *,
                      source: str = "template", subscription_id: str = DEFAULT_SUBSCRIPTION,
                      resource_group: str = DEFAULT_RESOURCE_GROUP,
                      location: str = DEFAULT_LOCATION) -> tuple[list[AzureResource], list[Note]]:
    """The resources a template deploys with ``parameters`` (name -> value, case-insensitive
    names), and the notes of what evaluation set aside. Raises ImportFailure (one line)."""
    if not is_arm_template(template):
        raise ImportFailure(f"{source}: not an ARM template (no deploymentTemplate $schema and "
                            f"no resources list)")
    evaluator = TemplateEvaluator(template, parameters or {}, source=source,
                                  subscription_id=subscription_id,
                                  resource_group=resource_group, location=location)
    try:
        resources = evaluator.resources()
    except ImportFailure as exc:
        message = str(exc)
        raise ImportFailure(message if message.startswith(source) else
                            f"{source}: {message}") from None
    except RecursionError:
        raise ImportFailure(f"{source}: the template is nested too deeply") from None
    return resources, evaluator.notes
