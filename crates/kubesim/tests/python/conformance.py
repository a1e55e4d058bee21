#!/usr/bin/env python3
"""Conformance cases for kubesim through the official Python `kubernetes` client.

Run by the Rust test `conformance_python` against `kubesim serve`:

    python conformance.py --kubeconfig PATH [--only NAME ...]

Each case asserts what a real API server answers and is reported as one JSON line:
{"case": NAME, "status": "PASS" | "FAIL" | "PENDING" | "XPASS", "detail": ...}.
A case marked pending (a server feature still being built) reports PENDING when it fails
and XPASS when it passes, so that the mark can be dropped.
"""

import argparse
import datetime
import json
import sys
import threading
import time
import traceback
import urllib.error
import urllib.request
import uuid

from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

CASES = []


def case(pending=None):
    """Registers a case; `pending` names the feature it waits for."""

    def register(fn):
        CASES.append((fn.__name__, fn, pending))
        return fn

    return register


class Failure(AssertionError):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def eventually(what, predicate, timeout=15.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise Failure(f"timed out waiting until {what}")


def api_error(call, status, reason=None):
    """Runs `call`, which must fail with `status` (and `reason`); returns the Status body."""
    try:
        call()
    except ApiException as e:
        check(e.status == status, f"expected HTTP {status}, got {e.status}: {e.body}")
        body = json.loads(e.body) if e.body else {}
        check(body.get("kind") == "Status", f"errors are Status objects: {e.body}")
        if reason is not None:
            check(body.get("reason") == reason, f"expected reason {reason}: {e.body}")
        check(body.get("code") == status, f"the Status carries the code: {e.body}")
        return body
    raise Failure(f"expected HTTP {status}, the call succeeded")


def gone(read):
    try:
        read()
        return False
    except ApiException as e:
        if e.status == 404:
            return True
        raise


class Ctx:
    def __init__(self):
        self.core = client.CoreV1Api()
        self.apps = client.AppsV1Api()
        self.coordination = client.CoordinationV1Api()
        self.events = client.EventsV1Api()
        self.extensions = client.ApiextensionsV1Api()
        self.custom = client.CustomObjectsApi()
        cfg = client.Configuration.get_default_copy()
        self.host = cfg.host
        self.auth = cfg.api_key.get("authorization") or cfg.api_key.get("BearerToken")
        if self.auth and not self.auth.startswith("Bearer"):
            self.auth = "Bearer " + self.auth

    def namespace(self, prefix):
        name = f"{prefix}-{uuid.uuid4().hex[:8]}"
        self.core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
        return name

    def raw(self, method, path, body=None, content_type="application/json", accept=None):
        """One HTTP request; returns (code, parsed body or text)."""
        data = body.encode() if isinstance(body, str) else body
        request = urllib.request.Request(self.host + path, data=data, method=method)
        if self.auth:
            request.add_header("Authorization", self.auth)
        if data is not None:
            request.add_header("Content-Type", content_type)
        if accept:
            request.add_header("Accept", accept)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                code, text = response.status, response.read().decode()
        except urllib.error.HTTPError as e:
            code, text = e.code, e.read().decode()
        try:
            return code, json.loads(text)
        except ValueError:
            return code, text


def configmap(name, data=None, labels=None, owners=None, finalizers=None):
    return client.V1ConfigMap(
        metadata=client.V1ObjectMeta(
            name=name, labels=labels, owner_references=owners, finalizers=finalizers
        ),
        data=data,
    )


def owner_ref(obj, block=False):
    return client.V1OwnerReference(
        api_version="v1",
        kind="ConfigMap",
        name=obj.metadata.name,
        uid=obj.metadata.uid,
        block_owner_deletion=block,
    )


MERGE = "application/merge-patch+json"

# --- discovery -----------------------------------------------------------------------------


@case()
def version_and_discovery(ctx):
    version = client.VersionApi().get_code()
    check(version.major == "1", f"major version: {version}")
    check(client.CoreApi().get_api_versions().versions == ["v1"], "core versions")
    groups = {g.name for g in client.ApisApi().get_api_versions().groups}
    for group in ["apps", "coordination.k8s.io", "apiextensions.k8s.io", "events.k8s.io"]:
        check(group in groups, f"{group} in {sorted(groups)}")
    resources = {r.name for r in ctx.core.get_api_resources().resources}
    check({"pods", "pods/status", "configmaps", "namespaces"} <= resources, str(resources))


@case()
def the_initial_namespaces_exist(ctx):
    names = {n.metadata.name for n in ctx.core.list_namespace().items}
    for name in ["default", "kube-system", "kube-public", "kube-node-lease"]:
        check(name in names, f"{name} in {names}")
    default = ctx.core.read_namespace("default")
    check(default.status.phase == "Active", f"phase {default.status.phase}")


# --- create, read, replace, patch ----------------------------------------------------------


@case()
def create_and_read_set_server_metadata(ctx):
    ns = ctx.namespace("py-create")
    created = ctx.core.create_namespaced_config_map(ns, configmap("a", {"k": "v"}))
    check(len(created.metadata.uid) == 36, f"uid {created.metadata.uid}")
    check(int(created.metadata.resource_version) > 0, "numeric resourceVersion")
    check(created.metadata.creation_timestamp is not None, "creationTimestamp")
    read = ctx.core.read_namespaced_config_map("a", ns)
    check(read.data == {"k": "v"}, f"data {read.data}")
    check(read.metadata.resource_version == created.metadata.resource_version, "same version")


@case()
def create_of_an_existing_name_is_already_exists(ctx):
    ns = ctx.namespace("py-exists")
    ctx.core.create_namespaced_config_map(ns, configmap("a"))
    body = api_error(
        lambda: ctx.core.create_namespaced_config_map(ns, configmap("a")), 409, "AlreadyExists"
    )
    check(body["details"]["name"] == "a" and body["details"]["kind"] == "configmaps", str(body))


@case()
def replace_with_a_stale_resource_version_is_a_conflict(ctx):
    ns = ctx.namespace("py-replace")
    created = ctx.core.create_namespaced_config_map(ns, configmap("a", {"v": "1"}))
    created.data = {"v": "2"}
    ctx.core.replace_namespaced_config_map("a", ns, created)
    created.data = {"v": "3"}
    body = api_error(
        lambda: ctx.core.replace_namespaced_config_map("a", ns, created), 409, "Conflict"
    )
    check("the object has been modified" in body["message"], body["message"])
    check(ctx.core.read_namespaced_config_map("a", ns).data == {"v": "2"}, "nothing stored")


@case()
def merge_patch(ctx):
    ns = ctx.namespace("py-merge")
    ctx.core.create_namespaced_config_map(ns, configmap("a", {"x": "1", "y": "2"}))
    patched = ctx.core.patch_namespaced_config_map(
        "a", ns, {"data": {"y": None, "z": "3"}}, _content_type=MERGE
    )
    check(patched.data == {"x": "1", "z": "3"}, f"data {patched.data}")


@case()
def json_patch_and_a_failed_test(ctx):
    ns = ctx.namespace("py-jsonpatch")
    ctx.core.create_namespaced_config_map(ns, configmap("a", {"x": "1"}))
    ops = [{"op": "replace", "path": "/data/x", "value": "2"}, {"op": "add", "path": "/data/y", "value": "3"}]
    patched = ctx.core.patch_namespaced_config_map("a", ns, ops)
    check(patched.data == {"x": "2", "y": "3"}, f"data {patched.data}")
    failing = [{"op": "test", "path": "/data/x", "value": "nope"}]
    api_error(lambda: ctx.core.patch_namespaced_config_map("a", ns, failing), 422)


@case(pending="strategic merge patch")
def strategic_merge_patch_merges_containers_by_name(ctx):
    ns = ctx.namespace("py-smp")
    ctx.apps.create_namespaced_deployment(ns, deployment("d", ["web", "sidecar"]))
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "sidecar", "image": "envoy:2"}]}}}}
    patched = ctx.apps.patch_namespaced_deployment("d", ns, patch)
    images = [c.image for c in patched.spec.template.spec.containers]
    check(images == ["img:web", "envoy:2"], f"images {images}")


@case(pending="server-side apply")
def server_side_apply_with_a_field_manager(ctx):
    ns = ctx.namespace("py-ssa")
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "data": {"k": "v"}}
    applied = ctx.core.patch_namespaced_config_map(
        "a", ns, body, field_manager="python", _content_type="application/apply-patch+yaml"
    )
    managers = [m.manager for m in applied.metadata.managed_fields]
    check(managers == ["python"], f"managers {managers}")
    body["data"]["k"] = "w"
    api_error(
        lambda: ctx.core.patch_namespaced_config_map(
            "a", ns, body, field_manager="other", _content_type="application/apply-patch+yaml"
        ),
        409,
        "Conflict",
    )


# --- lists, selectors, pagination, watch ---------------------------------------------------


@case()
def label_and_field_selectors(ctx):
    ns = ctx.namespace("py-select")
    ctx.core.create_namespaced_config_map(ns, configmap("prod", labels={"env": "prod"}))
    ctx.core.create_namespaced_config_map(ns, configmap("dev", labels={"env": "dev"}))

    def names(**kwargs):
        return sorted(i.metadata.name for i in ctx.core.list_namespaced_config_map(ns, **kwargs).items)

    check(names(label_selector="env=prod") == ["prod"], "env=prod")
    check(names(label_selector="env in (prod,dev)") == ["dev", "prod"], "in")
    check(names(label_selector="env,env!=prod") == ["dev"], "exists and !=")
    check(names(field_selector="metadata.name=dev") == ["dev"], "field selector")
    api_error(lambda: names(field_selector="spec.nothing=1"), 400, "BadRequest")


@case()
def pagination_with_limit_and_continue(ctx):
    ns = ctx.namespace("py-pages")
    for i in range(5):
        ctx.core.create_namespaced_config_map(ns, configmap(f"c{i}"))
    first = ctx.core.list_namespaced_config_map(ns, limit=2)
    check(len(first.items) == 2 and first.metadata._continue, "a first page and a token")
    check(first.metadata.remaining_item_count == 3, f"remaining {first.metadata.remaining_item_count}")
    # Changes after the first page do not show in the later pages (consistent snapshot).
    ctx.core.create_namespaced_config_map(ns, configmap("c9"))
    names = [i.metadata.name for i in first.items]
    token = first.metadata._continue
    while token:
        page = ctx.core.list_namespaced_config_map(ns, limit=2, _continue=token)
        names += [i.metadata.name for i in page.items]
        token = page.metadata._continue
    check(names == ["c0", "c1", "c2", "c3", "c4"], f"names {names}")


@case()
def list_at_an_exact_resource_version(ctx):
    ns = ctx.namespace("py-exact")
    ctx.core.create_namespaced_config_map(ns, configmap("a", {"v": "1"}))
    before = ctx.core.list_namespaced_config_map(ns).metadata.resource_version
    ctx.core.patch_namespaced_config_map("a", ns, {"data": {"v": "2"}}, _content_type=MERGE)
    old = ctx.core.list_namespaced_config_map(
        ns, resource_version=before, resource_version_match="Exact"
    )
    check(old.items[0].data == {"v": "1"}, f"the state at {before}: {old.items[0].data}")
    check(old.metadata.resource_version == before, "the list is at that version")
    api_error(
        lambda: ctx.core.list_namespaced_config_map(ns, resource_version_match="Exact"), 400
    )


@case()
def watch_from_a_resource_version(ctx):
    ns = ctx.namespace("py-watch")
    rv = ctx.core.list_namespaced_config_map(ns).metadata.resource_version
    seen = []
    w = watch.Watch()

    def follow():
        for event in w.stream(
            ctx.core.list_namespaced_config_map, ns, resource_version=rv, timeout_seconds=10
        ):
            seen.append((event["type"], event["object"].metadata.name))
            if event["type"] == "DELETED":
                w.stop()

    thread = threading.Thread(target=follow)
    thread.start()
    ctx.core.create_namespaced_config_map(ns, configmap("w"))
    ctx.core.patch_namespaced_config_map("w", ns, {"data": {"a": "b"}}, _content_type=MERGE)
    ctx.core.delete_namespaced_config_map("w", ns)
    thread.join(15)
    check(seen == [("ADDED", "w"), ("MODIFIED", "w"), ("DELETED", "w")], f"events {seen}")


@case()
def dry_run_stores_nothing(ctx):
    ns = ctx.namespace("py-dry")
    created = ctx.core.create_namespaced_config_map(ns, configmap("a", {"k": "v"}), dry_run="All")
    check(created.metadata.uid, "the would-be object")
    check(gone(lambda: ctx.core.read_namespaced_config_map("a", ns)), "nothing stored")
    ctx.core.create_namespaced_config_map(ns, configmap("b"))
    ctx.core.delete_namespaced_config_map("b", ns, dry_run="All")
    ctx.core.read_namespaced_config_map("b", ns)


@case()
def delete_collection_by_label(ctx):
    ns = ctx.namespace("py-collection")
    for name, team in [("a", "red"), ("b", "red"), ("c", "blue")]:
        ctx.core.create_namespaced_config_map(ns, configmap(name, labels={"team": team}))
    ctx.core.delete_collection_namespaced_config_map(ns, label_selector="team=red")
    left = [i.metadata.name for i in ctx.core.list_namespaced_config_map(ns).items]
    check(left == ["c"], f"left {left}")


# --- deletion and garbage collection -------------------------------------------------------


@case()
def finalizers_hold_deletion(ctx):
    ns = ctx.namespace("py-finalizer")
    ctx.core.create_namespaced_config_map(ns, configmap("a", finalizers=["example.com/hold"]))
    ctx.core.delete_namespaced_config_map("a", ns)
    held = ctx.core.read_namespaced_config_map("a", ns)
    check(held.metadata.deletion_timestamp is not None, "deletionTimestamp set")
    ctx.core.patch_namespaced_config_map(
        "a", ns, {"metadata": {"finalizers": None}}, _content_type=MERGE
    )
    check(gone(lambda: ctx.core.read_namespaced_config_map("a", ns)), "gone with the finalizer")


@case()
def background_propagation_collects_dependents(ctx):
    ns = ctx.namespace("py-background")
    owner = ctx.core.create_namespaced_config_map(ns, configmap("owner"))
    ctx.core.create_namespaced_config_map(ns, configmap("child", owners=[owner_ref(owner)]))
    ctx.core.delete_namespaced_config_map(
        "owner", ns, body=client.V1DeleteOptions(propagation_policy="Background")
    )
    eventually("the dependent is collected", lambda: gone(lambda: ctx.core.read_namespaced_config_map("child", ns)))


@case()
def foreground_propagation_marks_the_owner(ctx):
    ns = ctx.namespace("py-foreground")
    owner = ctx.core.create_namespaced_config_map(ns, configmap("owner"))
    ctx.core.create_namespaced_config_map(
        ns, configmap("child", owners=[owner_ref(owner, block=True)], finalizers=["example.com/hold"])
    )
    ctx.core.delete_namespaced_config_map(
        "owner", ns, body=client.V1DeleteOptions(propagation_policy="Foreground")
    )
    marked = ctx.core.read_namespaced_config_map("owner", ns)
    check(marked.metadata.finalizers == ["foregroundDeletion"], f"{marked.metadata.finalizers}")
    check(marked.metadata.deletion_timestamp is not None, "deletionTimestamp")
    eventually(
        "the dependent is being deleted",
        lambda: ctx.core.read_namespaced_config_map("child", ns).metadata.deletion_timestamp is not None,
    )
    ctx.core.patch_namespaced_config_map(
        "child", ns, {"metadata": {"finalizers": None}}, _content_type=MERGE
    )
    eventually("the owner goes after its dependent", lambda: gone(lambda: ctx.core.read_namespaced_config_map("owner", ns)))


@case()
def orphan_propagation_keeps_dependents(ctx):
    ns = ctx.namespace("py-orphan")
    owner = ctx.core.create_namespaced_config_map(ns, configmap("owner"))
    ctx.core.create_namespaced_config_map(ns, configmap("child", owners=[owner_ref(owner, block=True)]))
    ctx.core.delete_namespaced_config_map(
        "owner", ns, body=client.V1DeleteOptions(propagation_policy="Orphan")
    )
    eventually("the owner is gone", lambda: gone(lambda: ctx.core.read_namespaced_config_map("owner", ns)))
    child = ctx.core.read_namespaced_config_map("child", ns)
    check(child.metadata.owner_references is None, f"{child.metadata.owner_references}")


@case()
def namespace_deletion_empties_then_removes_it(ctx):
    ns = ctx.namespace("py-nsdelete")
    ctx.core.create_namespaced_config_map(ns, configmap("a"))
    ctx.core.delete_namespace(ns)
    eventually("the namespace is gone", lambda: gone(lambda: ctx.core.read_namespace(ns)))
    check(ctx.core.list_namespaced_config_map(ns).items == [], "its contents are gone")
    api_error(lambda: ctx.core.create_namespaced_config_map(ns, configmap("late")), 404, "NotFound")


# --- built-in kinds ------------------------------------------------------------------------


def deployment(name, containers):
    return client.V1Deployment(
        metadata=client.V1ObjectMeta(name=name),
        spec=client.V1DeploymentSpec(
            replicas=1,
            selector=client.V1LabelSelector(match_labels={"app": name}),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels={"app": name}),
                spec=client.V1PodSpec(
                    containers=[client.V1Container(name=c, image=f"img:{c}") for c in containers]
                ),
            ),
        ),
    )


@case()
def generation_and_the_status_subresource(ctx):
    ns = ctx.namespace("py-status")
    created = ctx.apps.create_namespaced_deployment(ns, deployment("d", ["web"]))
    check(created.metadata.generation == 1, "generation starts at 1")
    patched = ctx.apps.patch_namespaced_deployment(
        "d", ns, {"spec": {"replicas": 3}}, _content_type=MERGE
    )
    check(patched.metadata.generation == 2, "a spec change bumps it")
    status = ctx.apps.patch_namespaced_deployment_status(
        "d", ns, {"status": {"replicas": 3, "readyReplicas": 2}}, _content_type=MERGE
    )
    check(status.status.ready_replicas == 2, "status written through /status")
    check(status.metadata.generation == 2, "status changes do not bump it")
    ignored = ctx.apps.patch_namespaced_deployment(
        "d", ns, {"status": {"readyReplicas": 0}}, _content_type=MERGE
    )
    check(ignored.status.ready_replicas == 2, "the main resource ignores status")


@case()
def scale_subresource(ctx):
    ns = ctx.namespace("py-scale")
    ctx.apps.create_namespaced_deployment(ns, deployment("d", ["web"]))
    scale = ctx.apps.read_namespaced_deployment_scale("d", ns)
    check(scale.spec.replicas == 1 and scale.status.selector == "app=d", f"{scale}")
    ctx.apps.patch_namespaced_deployment_scale("d", ns, {"spec": {"replicas": 4}}, _content_type=MERGE)
    check(ctx.apps.read_namespaced_deployment("d", ns).spec.replicas == 4, "replicas through scale")


@case()
def pods_are_created_pending_with_their_qos_class(ctx):
    ns = ctx.namespace("py-pods")
    pod = client.V1Pod(
        metadata=client.V1ObjectMeta(name="p"),
        spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="busybox")]),
    )
    created = ctx.core.create_namespaced_pod(ns, pod)
    check(created.status.phase == "Pending", f"phase {created.status.phase}")
    check(created.status.qos_class == "BestEffort", f"qos {created.status.qos_class}")
    names = [p.metadata.name for p in ctx.core.list_namespaced_pod(ns, field_selector="status.phase=Pending").items]
    check(names == ["p"], f"{names}")


@case()
def typed_validation_of_built_ins(ctx):
    ns = ctx.namespace("py-typed")
    code, body = ctx.raw(
        "POST",
        f"/api/v1/namespaces/{ns}/configmaps?fieldValidation=Strict",
        json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "spec": {}}),
    )
    check(code == 400 and body["reason"] == "BadRequest", f"{code} {body}")
    check('unknown field "spec"' in body["message"], body["message"])


@case()
def leases_are_created_and_renewed(ctx):
    ns = ctx.namespace("py-lease")
    lease = client.V1Lease(
        metadata=client.V1ObjectMeta(name="leader"),
        spec=client.V1LeaseSpec(holder_identity="a", lease_duration_seconds=15),
    )
    created = ctx.coordination.create_namespaced_lease(ns, lease)
    created.spec.holder_identity = "b"
    replaced = ctx.coordination.replace_namespaced_lease("leader", ns, created)
    check(replaced.spec.holder_identity == "b", "renewed")
    check(int(replaced.metadata.resource_version) > int(created.metadata.resource_version), "newer version")
    api_error(lambda: ctx.coordination.replace_namespaced_lease("leader", ns, created), 409, "Conflict")


@case()
def core_and_events_v1_events_share_storage(ctx):
    ns = ctx.namespace("py-events")
    event = client.CoreV1Event(
        metadata=client.V1ObjectMeta(name="e1"),
        involved_object=client.V1ObjectReference(kind="ConfigMap", name="a", namespace=ns),
        reason="Tested",
        message="from python",
        type="Normal",
        # events.k8s.io/v1 requires eventTime; a core event without one reads back as null.
        event_time=datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc),
        reporting_component="python",
        reporting_instance="python-1",
        action="Test",
    )
    ctx.core.create_namespaced_event(ns, event)
    events = ctx.events.list_namespaced_event(ns).items
    check(len(events) == 1, f"{events}")
    check(events[0].note == "from python" and events[0].regarding.name == "a", f"{events[0]}")
    selected = ctx.core.list_namespaced_event(ns, field_selector="involvedObject.name=a,reason=Tested")
    check(len(selected.items) == 1, "events field selectors")


# --- custom resources ----------------------------------------------------------------------

GROUP = "python.example.com"


def ensure_crd(ctx):
    name = f"gadgets.{GROUP}"
    try:
        ctx.extensions.read_custom_resource_definition(name)
    except ApiException as e:
        if e.status != 404:
            raise
        crd = {
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": name},
            "spec": {
                "group": GROUP,
                "scope": "Namespaced",
                "names": {"plural": "gadgets", "singular": "gadget", "kind": "Gadget", "shortNames": ["gd"]},
                "versions": [{
                    "name": "v1", "served": True, "storage": True,
                    "subresources": {"status": {}},
                    "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                        "spec": {"type": "object", "required": ["size"], "properties": {
                            "size": {"type": "integer", "minimum": 1},
                            "mode": {"type": "string", "enum": ["a", "b"], "default": "a"}}},
                        "status": {"type": "object", "properties": {"ok": {"type": "boolean"}}}}}},
                }],
            },
        }
        ctx.extensions.create_custom_resource_definition(crd)

    def established():
        crd = ctx.extensions.read_custom_resource_definition(name)
        conditions = (crd.status and crd.status.conditions) or []
        return any(c.type == "Established" and c.status == "True" for c in conditions)

    eventually("the CRD is established", established)


def gadget(name, spec):
    return {"apiVersion": f"{GROUP}/v1", "kind": "Gadget", "metadata": {"name": name}, "spec": spec}


@case()
def custom_resources_crud(ctx):
    ensure_crd(ctx)
    ns = ctx.namespace("py-cr")
    args = (GROUP, "v1", ns, "gadgets")
    created = ctx.custom.create_namespaced_custom_object(*args, gadget("g", {"size": 2}))
    check(created["spec"]["mode"] == "a", "defaulted")
    check(created["metadata"]["generation"] == 1, "generation")
    listed = ctx.custom.list_namespaced_custom_object(*args)
    check([i["metadata"]["name"] for i in listed["items"]] == ["g"], f"{listed}")
    check(listed["kind"] == "GadgetList", listed["kind"])
    patched = ctx.custom.patch_namespaced_custom_object(
        *args, "g", {"spec": {"size": 3}}, _content_type=MERGE
    )
    check(patched["spec"]["size"] == 3 and patched["metadata"]["generation"] == 2, f"{patched}")
    ctx.custom.delete_namespaced_custom_object(*args, "g")
    check(gone(lambda: ctx.custom.get_namespaced_custom_object(*args, "g")), "deleted")


@case()
def custom_resource_validation_names_the_fields(ctx):
    ensure_crd(ctx)
    ns = ctx.namespace("py-crinvalid")
    args = (GROUP, "v1", ns, "gadgets")
    body = api_error(
        lambda: ctx.custom.create_namespaced_custom_object(*args, gadget("bad", {"size": 0, "mode": "z"})),
        422,
        "Invalid",
    )
    fields = sorted(c["field"] for c in body["details"]["causes"])
    check(fields == ["spec.mode", "spec.size"], f"causes {body['details']['causes']}")
    check(body["details"]["kind"] == "Gadget" and body["details"]["group"] == GROUP, f"{body['details']}")
    body = api_error(lambda: ctx.custom.create_namespaced_custom_object(*args, gadget("bad", {})), 422, "Invalid")
    check(body["details"]["causes"][0]["reason"] == "FieldValueRequired", f"{body['details']}")


@case()
def custom_resource_status_subresource(ctx):
    ensure_crd(ctx)
    ns = ctx.namespace("py-crstatus")
    args = (GROUP, "v1", ns, "gadgets")
    ctx.custom.create_namespaced_custom_object(*args, gadget("g", {"size": 1}))
    updated = ctx.custom.patch_namespaced_custom_object_status(
        *args, "g", {"status": {"ok": True}, "spec": {"size": 5}}, _content_type=MERGE
    )
    check(updated["status"] == {"ok": True} and updated["spec"]["size"] == 1, f"{updated}")
    check(updated["metadata"]["generation"] == 1, "status writes keep the generation")


@case(pending="Table output")
def table_output_for_a_list(ctx):
    ns = ctx.namespace("py-table")
    ctx.core.create_namespaced_config_map(ns, configmap("a", {"k": "v"}))
    code, body = ctx.raw(
        "GET", f"/api/v1/namespaces/{ns}/configmaps", accept="application/json;as=Table;v=v1;g=meta.k8s.io"
    )
    check(code == 200 and body.get("kind") == "Table", f"{code} {str(body)[:200]}")
    columns = [c["name"] for c in body["columnDefinitions"]]
    check(columns[:3] == ["Name", "Data", "Age"], f"{columns}")


@case(pending="OpenAPI")
def openapi_v3_describes_the_core_group(ctx):
    code, body = ctx.raw("GET", "/openapi/v3")
    check(code == 200 and "api/v1" in body.get("paths", {}), f"{code} {str(body)[:200]}")
    path = body["paths"]["api/v1"]["serverRelativeURL"]
    code, doc = ctx.raw("GET", path)
    schemas = doc.get("components", {}).get("schemas", {})
    check("io.k8s.api.core.v1.ConfigMap" in schemas, "the ConfigMap schema")


# --- errors --------------------------------------------------------------------------------


@case()
def unknown_resources_are_not_found(ctx):
    code, body = ctx.raw("GET", "/api/v1/namespaces/default/gizmos")
    check(code == 404 and body["reason"] == "NotFound", f"{code} {body}")
    code, body = ctx.raw("GET", "/apis/nothing.example.com/v1/things")
    check(code == 404, f"{code} {body}")
    api_error(lambda: ctx.core.read_namespaced_config_map("missing", "default"), 404, "NotFound")


@case()
def malformed_bodies_are_bad_requests(ctx):
    ns = ctx.namespace("py-malformed")
    code, body = ctx.raw("POST", f"/api/v1/namespaces/{ns}/configmaps", '{"metadata": ')
    check(code == 400 and body["kind"] == "Status" and body["reason"] == "BadRequest", f"{code} {body}")
    code, body = ctx.raw("POST", f"/api/v1/namespaces/{ns}/configmaps", "- just\n- a list\n", "application/yaml")
    check(code == 400, f"{code} {body}")
    code, body = ctx.raw(
        "PATCH", f"/api/v1/namespaces/{ns}/configmaps/x", "{}", "application/x-unknown-patch"
    )
    check(code in (404, 415), f"{code} {body}")
    check(ctx.core.list_namespaced_config_map(ns).items == [], "nothing stored")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--kubeconfig", required=True)
    parser.add_argument("--only", nargs="*")
    args = parser.parse_args()
    config.load_kube_config(config_file=args.kubeconfig)
    ctx = Ctx()
    for name, fn, pending in CASES:
        if args.only and name not in args.only:
            continue
        started = time.time()
        try:
            fn(ctx)
            status, detail = ("XPASS" if pending else "PASS"), None
        except Exception as e:  # noqa: BLE001 - every failure is reported, not raised
            status = "PENDING" if pending else "FAIL"
            detail = f"{type(e).__name__}: {e}"
            if not isinstance(e, (Failure, ApiException)):
                detail += "\n" + traceback.format_exc(limit=3)
        line = {"case": name, "status": status, "seconds": round(time.time() - started, 2)}
        if pending:
            line["pending"] = pending
        if detail:
            line["detail"] = detail[:2000]
        print(json.dumps(line), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
