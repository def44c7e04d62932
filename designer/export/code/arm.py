"""ARM template (JSON) from a :class:`CodePlan`: what ``az deployment group create`` deploys.

Plain JSON, so that every tool reads it: the comment at the top is the template's
``metadata.notes`` and a resource's remark its ``comments`` property, both of which ARM
ignores. References between resources are ``resourceId()`` expressions (the subnets' ids are
variables), each resource lists what it references in ``dependsOn``, in deployment order, and a
pool of identical VMs is a ``copy`` loop.
"""
from __future__ import annotations

import json
from typing import Any

from ... import __version__
from .azure import (Interpolate, LoopName, OutputValue, Param, Ref, Resource, Template, Var,
                    references, template)
from .naming import Symbols, bicep_symbol
from .plan import (DEFAULT_ADMIN_USERNAME, DEFAULT_IMAGE, DEFAULT_VM_SIZE, CodePlan)

SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"


def parameters(p: CodePlan) -> dict[str, Any]:
    out: dict[str, Any] = {"location": {
        "type": "string", "defaultValue": "[resourceGroup().location]",
        "metadata": {"description": "Azure region of every resource (default: the resource "
                                    "group's)"}}}
    if p.groups:
        out.update({
            "adminUsername": {"type": "string", "defaultValue": DEFAULT_ADMIN_USERNAME,
                              "metadata": {"description": "administrator account of every VM"}},
            "adminSshPublicKey": {"type": "string", "metadata": {
                "description": "SSH public key of adminUsername on every VM (for example the "
                               "contents of ~/.ssh/id_ed25519.pub); password sign-in is off"}},
            "vmSize": {"type": "string", "defaultValue": DEFAULT_VM_SIZE,
                       "metadata": {"description": "size of every VM"}},
            "vmImage": {"type": "object", "defaultValue": dict(DEFAULT_IMAGE),
                        "metadata": {"description": "image of every VM (a Linux image: the VMs "
                                                    "sign in with SSH keys)"}},
        })
    return out


LINUX_CONFIGURATION = {
    "disablePasswordAuthentication": True,
    "ssh": {"publicKeys": [{
        "path": Interpolate("/home/{}/.ssh/authorized_keys", (Param("adminUsername"),)),
        "keyData": Param("adminSshPublicKey")}]},
}


class _Arm:
    def __init__(self, p: CodePlan, tpl: Template):
        self.p = p
        self.tpl = tpl
        self.by_key = tpl.by_key()
        self.variables: dict[str, Any] = {}
        self.subnet_vars: dict[Ref, str] = {}
        self.var_names = Symbols()

    # ---------------------------------------------------------------- expressions
    def expr(self, value: Any) -> str:
        """``value`` as an ARM expression (without the brackets)."""
        if isinstance(value, str):
            return "'" + value.replace("'", "''") + "'"
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int):
            return str(value)
        if isinstance(value, Param):
            return f"parameters('{value.name}')"
        if isinstance(value, Var):
            return f"variables('{value.name}')"
        if isinstance(value, LoopName):
            index = f"copyIndex({value.loop.start})" if value.loop.start else "copyIndex()"
            return f"format('{value.loop.prefix}{{0}}{value.suffix}', {index})"
        if isinstance(value, Interpolate):
            fmt = value.template
            for i in range(len(value.args)):
                fmt = fmt.replace("{}", f"{{{i}}}", 1)
            return f"format('{fmt}', {', '.join(self.expr(a) for a in value.args)})"
        if isinstance(value, Ref):
            if value.child and value.child[0] == "subnets":
                return f"variables('{self.subnet_variable(value)}')"
            return self.resource_id(value)
        if isinstance(value, OutputValue):
            target = self.by_key[value.key]
            return (f"reference({self.resource_id(Ref(value.key))}, '{target.api}')"
                    f".{value.property}")
        raise TypeError(f"no ARM expression for {value!r}")

    def resource_id(self, ref: Ref) -> str:
        target = self.by_key[ref.key]
        type_ = target.type + (f"/{ref.child[0]}" if ref.child else "")
        args = [self.expr(target.name)]
        if ref.child:
            args.append(self.expr(ref.child[1]))
        return f"resourceId('{type_}', {', '.join(args)})"

    def subnet_variable(self, ref: Ref) -> str:
        name = self.subnet_vars.get(ref)
        if name is None:
            name = self.var_names.claim(bicep_symbol(f"{ref.child[1]}-subnet-id"))
            self.subnet_vars[ref] = name
            self.variables[name] = f"[{self.resource_id(ref)}]"
        return name

    def value(self, value: Any) -> Any:
        """A JSON value: literals as they are, expressions as "[...]" strings."""
        if isinstance(value, dict):
            return {k: self.value(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.value(v) for v in value]
        if isinstance(value, (Param, Var, LoopName, Interpolate, Ref, OutputValue)):
            return f"[{self.expr(value)}]"
        if isinstance(value, str) and value.startswith("["):
            return "[" + value  # a literal that ARM would read as an expression
        return value

    # ---------------------------------------------------------------- document
    def resource(self, r: Resource) -> dict[str, Any]:
        out: dict[str, Any] = {"type": r.type, "apiVersion": r.api, "name": self.value(r.name)}
        if r.comment:
            out["comments"] = r.comment
        if r.loop:
            out["copy"] = {"name": bicep_symbol(f"{r.symbol}-loop"), "count": r.loop.count}
        for field_name, value in r.body.items():
            out[field_name] = self.value(value)
        depends = []
        for ref in references(r.body):
            if ref.key == r.key:
                continue  # a load balancer's rules refer to its own frontends and pool
            dep = f"[{self.resource_id(Ref(ref.key))}]"
            if dep not in depends:
                depends.append(dep)
        if depends:
            out["dependsOn"] = depends
        return out

    def document(self) -> dict[str, Any]:
        resources = [self.resource(r) for r in self.tpl.resources]
        if self.p.groups:
            self.variables = {"linuxConfiguration": self.value(LINUX_CONFIGURATION),
                              **self.variables}
        outputs = {o.name: {"type": o.type, "value": self.value(o.value),
                            "metadata": {"description": o.description}}
                   for o in self.tpl.outputs}
        doc: dict[str, Any] = {
            "$schema": SCHEMA,
            "contentVersion": "1.0.0.0",
            "metadata": {"_generator": {"name": "outbound-designer", "version": __version__},
                         "description": self.p.header[0],
                         "notes": self.p.header[1:] + [deploy_hint(self.p)]},
            "parameters": parameters(self.p),
        }
        if self.variables:
            doc["variables"] = self.variables
        doc["resources"] = resources
        if outputs:
            doc["outputs"] = outputs
        return doc


def deploy_hint(p: CodePlan) -> str:
    key = ' --parameters adminSshPublicKey="$(cat ~/.ssh/id_ed25519.pub)"' if p.groups else ""
    return ("Deploy: az deployment group create --resource-group MY-GROUP "
            f"--template-file FILE.arm.json{key}")


def arm_document(p: CodePlan) -> dict[str, Any]:
    return _Arm(p, template(p)).document()


def arm_text(p: CodePlan) -> str:
    return json.dumps(arm_document(p), indent=2, ensure_ascii=False) + "\n"
