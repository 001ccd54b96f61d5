#!/usr/bin/env python3
"""Writes examples/sample-snapshot.json: a small but realistic authentik-shaped configuration
(a login flow with MFA decided at plan time, an enrollment flow whose policies write the plan
context, applications bound to groups, conditional and GeoIP policies (one binding in dry-run),
entitlements, 20 users in a group hierarchy). Deterministic: re-running it gives
the same file."""
import json, uuid, os

NS = uuid.UUID("6ba7b811-9dad-11d1-80b4-00c04fd430c8")
def uid(name): return str(uuid.uuid5(NS, "flowgate-sample/" + name))

groups = {
    "staff": None, "engineering": "staff", "backend": "engineering", "frontend": "engineering",
    "hr": "staff", "contractors": None, "admins": None,
}
snap = {"users": [], "groups": [], "policies": [], "policy_bindings": [], "flows": [], "stages": [],
        "flow_stage_bindings": [], "applications": [], "application_entitlements": [], "targets": [],
        "events": [], "reputations": []}
for name, parent in groups.items():
    snap["groups"].append({"pk": uid("group/" + name), "name": name,
                           "parents": [uid("group/" + parent)] if parent else [],
                           "is_superuser": name == "admins", "attributes": {}})
people = [
    ("akadmin", "authentik Admin", ["admins"], "it"), ("alice", "Alice Archer", ["backend"], "engineering"),
    ("bob", "Bob Baker", ["frontend"], "engineering"), ("carol", "Carol Chen", ["hr"], "hr"),
    ("dave", "Dave Diaz", ["contractors"], "engineering"), ("erin", "Erin Evans", ["backend", "admins"], "engineering"),
    ("frank", "Frank Fox", ["staff"], "sales"), ("grace", "Grace Green", ["frontend"], "engineering"),
    ("heidi", "Heidi Hill", ["hr"], "hr"), ("ivan", "Ivan Ito", ["contractors"], "design"),
    ("judy", "Judy Jones", ["backend"], "engineering"), ("mallory", "Mallory Moss", [], "unknown"),
    ("niaj", "Niaj Nolan", ["staff"], "sales"), ("olivia", "Olivia Ortiz", ["engineering"], "engineering"),
    ("peggy", "Peggy Park", ["hr"], "hr"), ("rupert", "Rupert Reed", ["frontend"], "engineering"),
    ("sybil", "Sybil Stone", ["staff"], "finance"), ("trent", "Trent Tran", ["contractors"], "engineering"),
    ("victor", "Victor Vale", ["backend"], "engineering"), ("wendy", "Wendy Wu", ["staff"], "finance"),
]
for i, (username, name, gs, dept) in enumerate(people, start=1):
    snap["users"].append({
        "pk": i, "username": username, "name": name, "email": f"{username}@example.com",
        "is_active": username != "mallory", "type": "external" if "contractors" in gs else "internal",
        "groups": [uid("group/" + g) for g in gs], "attributes": {"department": dept},
        "path": "users", "last_login": "2026-06-01T08:00:00Z", "date_joined": "2025-01-15T09:00:00Z",
        "password_change_date": "2026-03-01T00:00:00Z",
        "authenticator_types": ["totp"] if i % 3 == 0 or username == "akadmin" else [],
    })

def policy(name, kind, **fields):
    p = {"pk": uid("policy/" + name), "name": name, "type": kind, **fields}
    snap["policies"].append(p); return p["pk"]
def bind(target, order, **subject):
    key = next(iter(subject.values()))
    snap["policy_bindings"].append({"pk": uid(f"binding/{target}/{order}/{key}"), "target": target, "order": order, **subject})
def compare(key, op, value=None, **extra):
    node = {"type": "compare", "variable": {"key": key, **extra.pop("var", {})}, "operator": op}
    if value is not None: node["value"] = {"type": "literal", "value": value}
    if extra: node["options"] = extra
    return node
def conditional(name, node, failure_message=""):
    return policy(name, "conditional", verbose_name="Conditional Policy", failure_message=failure_message,
                  actions={"version": 2, "actions": [{"type": "condition", "condition": node}]})

# Applications
apps = [("Grafana", "grafana", "Monitoring", "https://grafana.example.com/login?user=%(username)s"),
        ("HR Portal", "hr-portal", "People", "https://hr.example.com/"),
        ("Wiki", "wiki", "", "https://wiki.example.com/"),
        ("Admin Console", "admin-console", "", "https://admin.example.com/"),
        ("Legacy SSO bridge", "legacy-bridge", "", "blank://blank"),
        ("Payroll", "payroll", "People", "https://payroll.example.com/")]
for name, slug, group, url in apps:
    snap["applications"].append({"pk": uid("app/" + slug), "slug": slug, "name": name, "group": group,
        "meta_launch_url": url, "meta_description": f"{name} at Example Corp", "meta_publisher": "Example Corp",
        "open_in_new_tab": slug == "grafana", "policy_engine_mode": "any"})
A = {slug: uid("app/" + slug) for _, slug, _, _ in apps}
G = {g: uid("group/" + g) for g in groups}
bind(A["grafana"], 10, group=G["engineering"])
bind(A["grafana"], 20, group=G["admins"])
hr = conditional("hr-department-only", compare("user.attributes", "eq", "hr", var={"param": "department", "cast": "string"}),
                 failure_message="Only the HR department may open the HR portal.")
bind(A["hr-portal"], 10, policy=hr)
office = conditional("from-office-network", {"type": "group", "op": "any", "children": [
    compare("request.client_ip", "in_network", ["10.0.0.0/8", "192.168.0.0/16"]),
    compare("request.asn.asn", "eq", 64500),
    compare("user.authenticator_types", "has_item", "totp")]}, failure_message="Use the office network or VPN, or set up TOTP.")
bind(A["wiki"], 10, group=G["contractors"], negate=True)
snap["policy_bindings"][-1]["negate"] = True
bind(A["admin-console"], 10, group=G["admins"])
bind(A["admin-console"], 20, policy=office)
snap["applications"][3]["policy_engine_mode"] = "all"
# Trying the office-network rule on the wiki before enforcing it: evaluated and traced, ignored.
bind(A["wiki"], 20, policy=office)
snap["policy_bindings"][-1]["dry_run"] = True
# Payroll: HR staff, and only from the countries the payroll provider is contracted for.
payroll_geo = policy("payroll-countries", "geoip", verbose_name="GeoIP Policy", countries=["DE", "NL"], asns=[])
bind(A["payroll"], 10, group=G["hr"])
bind(A["payroll"], 20, policy=payroll_geo)
snap["applications"][5]["policy_engine_mode"] = "all"
snap["application_entitlements"].append({"pbm_uuid": uid("ent/grafana-editor"), "name": "grafana-editor", "app": A["grafana"],
                                         "attributes": {"grafana": {"role": "Editor"}}})
snap["application_entitlements"].append({"pbm_uuid": uid("ent/grafana-admin"), "name": "grafana-admin", "app": A["grafana"],
                                         "attributes": {"grafana": {"role": "Admin"}}})
bind(uid("ent/grafana-editor"), 0, group=G["engineering"])
bind(uid("ent/grafana-admin"), 0, group=G["admins"])

# Flows
def stage(name, component, verbose, **extra):
    snap["stages"].append({"pk": uid("stage/" + name), "name": name, "component": component, "verbose_name": verbose, **extra})
    return uid("stage/" + name)
def flow(slug, name, designation, authentication="none"):
    snap["flows"].append({"pk": uid("flow/" + slug), "slug": slug, "name": name, "title": name,
                          "designation": designation, "authentication": authentication})
    return uid("flow/" + slug)
def fsb(flow_pk, stage_pk, order, **flags):
    pk = uid(f"fsb/{flow_pk}/{order}")
    snap["flow_stage_bindings"].append({"pk": pk, "target": flow_pk, "stage": stage_pk, "order": order, **flags})
    return pk

login = flow("default-authentication-flow", "Welcome to Example Corp!", "authentication")
s_id = stage("default-authentication-identification", "ak-stage-identification-form", "Identification Stage", user_fields=["email", "username"])
s_pw = stage("default-authentication-password", "ak-stage-password-form", "Password Stage")
s_mfa = stage("default-authentication-mfa-validation", "ak-stage-authenticator-validate-form", "Authenticator Validation Stage")
s_login = stage("default-authentication-login", "ak-stage-user-login-form", "User Login Stage")
fsb(login, s_id, 10)
pw = fsb(login, s_pw, 20)
# MFA is decided when the flow is planned (the user is known by then) and not re-checked.
mfa = fsb(login, s_mfa, 30, evaluate_on_plan=True, re_evaluate_policies=False)
fsb(login, s_login, 100)
skip_pw = conditional("default-authentication-flow-password-stage",
                      compare("plan.pending_user_authenticated", "is_false"))
bind(pw, 10, policy=skip_pw)
snap["policy_bindings"][-1]["failure_result"] = True
needs_mfa = conditional("mfa-for-admins-and-engineering", compare("user.groups", "has_any", [G["admins"], G["engineering"]]))
bind(mfa, 10, policy=needs_mfa)
not_blocked = policy("block-bad-reputation", "reputation", verbose_name="Reputation Policy", check_ip=True, check_username=True, threshold=-5)
bind(login, 10, policy=not_blocked, negate=True)

enroll = flow("default-enrollment-flow", "Create your account", "enrollment", "require_unauthenticated")
s_p1 = stage("default-enrollment-prompt-first", "ak-stage-prompt-form", "Prompt Stage")
s_p2 = stage("default-enrollment-prompt-second", "ak-stage-prompt-form", "Prompt Stage")
s_w = stage("default-enrollment-user-write", "ak-stage-user-write-form", "User Write Stage", user_creation_mode="always_create")
fsb(enroll, s_p1, 10)
second = fsb(enroll, s_p2, 11)
write = fsb(enroll, s_w, 20)
fsb(enroll, s_login, 100)
no_name = conditional("enrollment-ask-name-if-missing", compare("prompt_data", "is_not_set", var={"param": "name"}))
bind(second, 10, policy=no_name)
# When the user is written, put self-enrolled accounts under their own path: the user write
# stage reads `user_path` from the plan context (a conditional `set` action writes it).
user_path = policy("enrollment-user-path", "conditional", verbose_name="Conditional Policy", failure_message="",
                   actions={"version": 2, "actions": [{"type": "set", "target": {"key": "plan.context", "param": "user_path"},
                                                      "value": {"type": "literal", "value": "users/self-enrolled"}}]})
bind(write, 10, policy=user_path)

snap["reputations"].append({"ip": "203.0.113.66", "identifier": "mallory", "score": -10})
snap["events"].append({"action": "login", "user": 2, "created": "2026-06-01T07:55:00Z", "client_ip": "10.1.2.3",
                       "context": {"geo": {"lat": 52.52, "long": 13.405, "country": "DE", "city": "Berlin"}}})
snap["targets"].append({"pbm_uuid": uid("source/github"), "kind": "source", "name": "GitHub", "slug": "github"})
bind(uid("source/github"), 0, group=G["contractors"], negate=True)

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sample-snapshot.json")
with open(out, "w") as f:
    json.dump(snap, f, indent=1)
    f.write("\n")
print(out, len(snap["users"]), "users")
