//! authentik's Mermaid flow diagram (`flows/api/flows_diagram.py`, flows §7.5), byte for byte:
//! the authentication requirement node, flow policies, stage policies with "Policy passed" /
//! "Policy denied" edges, and the end node. Like authentik, every policy binding with a policy
//! is drawn (disabled and dry-run ones too, user and group bindings not); expired bindings are
//! left out, judged at `now`.

use crate::index::{BoundSubject, Id, Index};
use crate::snapshot::{Policy, Stage};
use crate::time::Millis;
use std::collections::HashMap;

/// authentik's `DiagramElement`: `id{open}"description"{close}`, optionally behind an edge
/// (`--action--> ` or `--> `), once per source.
struct Element {
    id: String,
    description: String,
    action: Option<String>,
    sources: Vec<String>,
    style: (&'static str, &'static str),
}

const BOX: (&str, &str) = ("[", "]");
const SUBROUTINE: (&str, &str) = ("[[", "]]");
const HEXAGON: (&str, &str) = ("{{", "}}");
const STADIUM: (&str, &str) = ("([", "])");

impl Element {
    fn new(id: impl Into<String>, description: impl Into<String>) -> Element {
        Element {
            id: id.into(),
            description: description.into(),
            action: None,
            sources: Vec::new(),
            style: BOX,
        }
    }
    fn action(mut self, action: &str) -> Element {
        self.action = Some(action.to_string());
        self
    }
    fn sources(mut self, sources: Vec<String>) -> Element {
        self.sources = sources;
        self
    }
    fn style(mut self, style: (&'static str, &'static str)) -> Element {
        self.style = style;
        self
    }

    fn render(&self, out: &mut Vec<String>) {
        let description = self.description.replace('"', "#quot;");
        let mut element = format!(
            "{}{}\"{}\"{}",
            self.id, self.style.0, description, self.style.1
        );
        match self.action.as_deref() {
            Some("") => element = format!("--> {element}"),
            Some(action) => element = format!("--{action}--> {element}"),
            None => {}
        }
        if self.sources.is_empty() {
            out.push(element);
        } else {
            for source in &self.sources {
                out.push(format!("{source} {element}"));
            }
        }
    }
}

fn end_of_flow() -> Element {
    Element::new("done", "End of the flow").style(SUBROUTINE)
}

/// Title-cases `a-b_c` into `A B C`.
fn words(slug: &str) -> String {
    slug.split(['-', '_'])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                // Component and model names are ASCII identifiers.
                Some(first) => first.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A stage's `_meta.verbose_name`: given in the snapshot, else derived from `component`
/// (`ak-stage-user-login-form` → "User Login Stage") or the app label of `meta_model_name`
/// (`authentik_stages_user_login.userloginstage` → "User Login Stage").
pub fn stage_verbose_name(stage: &Stage) -> String {
    if let Some(v) = &stage.verbose_name {
        return v.clone();
    }
    let kind = if let Some(rest) = stage.component.strip_prefix("ak-stage-") {
        rest.strip_suffix("-form").unwrap_or(rest).to_string()
    } else if let Some(rest) = stage.meta_model_name.strip_prefix("authentik_stages_") {
        rest.split('.').next().unwrap_or_default().to_string()
    } else {
        String::new()
    };
    // The one common stage whose verbose name is not its type's words.
    match kind.replace('_', "-").as_str() {
        "" => "Stage".to_string(),
        "authenticator-validate" => "Authenticator Validation Stage".to_string(),
        other => format!("{} Stage", words(other)),
    }
}

/// A policy's `_meta.verbose_name`: given in the snapshot, else authentik's for its type.
pub fn policy_verbose_name(policy: &Policy) -> String {
    if let Some(v) = &policy.verbose_name {
        return v.clone();
    }
    match policy.kind.as_str() {
        "geoip" => "GeoIP Policy".to_string(),
        "unique_password" => "Password Uniqueness Policy".to_string(),
        other => format!("{} Policy", words(other)),
    }
}

/// Policy bindings (with a policy) per target, in binding order, unexpired at `now`.
/// authentik draws disabled bindings too, so this cannot use the index's enabled lists.
fn policy_bindings(index: &Index, targets: &[Id], now: Millis) -> HashMap<Id, Vec<Id>> {
    let mut wanted: HashMap<Id, Vec<Id>> = targets.iter().map(|&t| (t, Vec::new())).collect();
    for (i, ib) in index.bindings() {
        let BoundSubject::Policy(_) = ib.subject else {
            continue;
        };
        if !ib.is_active(now) {
            continue;
        }
        if let Some(list) = index
            .targets_by_pbm
            .get(&ib.binding.target)
            .and_then(|t| wanted.get_mut(t))
        {
            list.push(i);
        }
    }
    for list in wanted.values_mut() {
        // Stable: equal orders keep snapshot order.
        crate::sort::sort_ids_by_key(list, &|b| index.binding(b).binding.order);
    }
    wanted
}

fn policy_description(index: &Index, binding: Id) -> String {
    match index.binding(binding).subject {
        BoundSubject::Policy(p) => {
            let policy = &index.snap.policies[p as usize];
            format!("Policy ({})\n{}", policy_verbose_name(policy), policy.name)
        }
        _ => String::new(),
    }
}

/// The Mermaid text of `flow` (authentik's `FlowDiagram.build`).
pub fn build(index: &Index, flow: Id, now: Millis) -> String {
    let f = &index.snap.flows[flow as usize];
    let fsbs = &index.flow_stage_bindings[flow as usize];
    let flow_target = index.flow_targets[flow as usize];
    let mut targets: Vec<Id> = fsbs
        .iter()
        .map(|&b| index.fsb_targets[b as usize])
        .collect();
    targets.push(flow_target);
    let bound = policy_bindings(index, &targets, now);
    let none = Vec::new();
    let bound_to = |t: Id| bound.get(&t).unwrap_or(&none);

    let mut elements: Vec<Element> = Vec::new();
    if f.authentication != "none" {
        let auth = "flow_auth_requirement".to_string();
        elements.push(Element::new(
            &auth,
            format!("Flow authentication requirement\n{}", f.authentication),
        ));
        elements.push(
            end_of_flow()
                .action("Requirement not fulfilled")
                .sources(vec![auth.clone()]),
        );
        elements.push(
            Element::new("flow_start", "placeholder")
                .action("Requirement fulfilled")
                .sources(vec![auth]),
        );
    }

    let flow_policies: Vec<Element> = bound_to(flow_target)
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            Element::new(format!("flow_policy_{i}"), policy_description(index, b))
                .action(&format!("Binding {}", index.binding(b).binding.order))
                .sources(vec!["flow_pre".to_string()])
                .style(HEXAGON)
        })
        .collect();
    let flow_policy_ids: Vec<String> = flow_policies.iter().map(|e| e.id.clone()).collect();
    let mut flow_start = Element::new("flow_start", format!("Flow\n{}", f.name))
        .sources(flow_policy_ids.clone())
        .style(SUBROUTINE);
    if !flow_policies.is_empty() {
        elements.push(Element::new("flow_pre", "Pre-flow policies").style(SUBROUTINE));
        elements.extend(flow_policies);
        elements.push(
            end_of_flow()
                .action("Policy denied")
                .sources(flow_policy_ids),
        );
        flow_start = flow_start.action("");
    }
    let flow_start_id = flow_start.id.clone();
    elements.push(flow_start);

    // get_stages: stage nodes first, then their policies, "Policy denied" edges and the end.
    let mut stages: Vec<Element> = Vec::new();
    let mut others: Vec<Element> = Vec::new();
    let mut parents = vec![flow_start_id.clone()];
    for (s, &fsb) in fsbs.iter().enumerate() {
        let policies: Vec<Element> = bound_to(index.fsb_targets[fsb as usize])
            .iter()
            .enumerate()
            .map(|(p, &b)| {
                Element::new(
                    format!("stage_{s}_policy_{p}"),
                    policy_description(index, b),
                )
                .action("")
                .sources(parents.clone())
                .style(HEXAGON)
            })
            .collect();
        let policy_ids: Vec<String> = policies.iter().map(|e| e.id.clone()).collect();
        others.extend(policies);
        let stage = &index.snap.stages[index.fsb_stage[fsb as usize] as usize];
        let element = Element::new(
            format!("stage_{s}"),
            format!("Stage ({})\n{}", stage_verbose_name(stage), stage.name),
        )
        .action(if policy_ids.is_empty() {
            ""
        } else {
            "Policy passed"
        })
        .sources(policy_ids)
        .style(STADIUM);
        // Retroactive "Policy denied" edges from the previous stage's policies to this stage.
        if let Some(last) = stages.last() {
            for source in &last.sources {
                others.push(
                    Element::new(element.id.clone(), element.description.clone())
                        .action("Policy denied")
                        .sources(vec![source.clone()])
                        .style(STADIUM),
                );
            }
        }
        parents = vec![element.id.clone()];
        stages.push(element);
    }
    if let Some(last) = stages.last() {
        others.push(end_of_flow().action("").sources(vec![last.id.clone()]));
    }
    let no_stages = stages.is_empty();
    elements.extend(stages);
    elements.extend(others);
    if no_stages {
        elements.push(end_of_flow().action("").sources(vec![flow_start_id]));
    }

    let mut lines = vec!["graph TD".to_string()];
    for e in &elements {
        e.render(&mut lines);
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Engine;
    use crate::limits::Limits;
    use serde_json::json;

    /// authentik's test_api_diagram fixture (flows §7.5), plus an empty flow.
    fn engine() -> Engine {
        let snapshot = json!({
            "policies": [{"pk": "p", "name": "dummy2-policy", "type": "dummy",
                          "verbose_name": "Dummy Policy"}],
            "policy_bindings": [{"target": "b2", "policy": "p", "order": 0}],
            "flows": [
                {"pk": "f1", "slug": "test-default-context", "name": "test-default-context",
                 "designation": "authentication"},
                {"pk": "f2", "slug": "no-stages", "name": "test-default-context",
                 "designation": "authentication"},
            ],
            "stages": [
                {"pk": "s1", "name": "dummy1", "component": "ak-stage-dummy-form"},
                {"pk": "s2", "name": "dummy2", "component": "ak-stage-dummy-form"},
            ],
            "flow_stage_bindings": [
                {"pk": "b1", "target": "f1", "stage": "s1", "order": 0},
                {"pk": "b2", "target": "f1", "stage": "s2", "order": 1,
                 "re_evaluate_policies": true},
            ],
        });
        Engine::from_json(&snapshot.to_string(), &Limits::default()).expect("fixture loads")
    }

    #[test]
    fn test_api_diagram() {
        let e = engine();
        let expected = concat!(
            "graph TD\n",
            "flow_start[[\"Flow\ntest-default-context\"]]\n",
            "--> stage_0([\"Stage (Dummy Stage)\ndummy1\"])\n",
            "stage_1_policy_0 --Policy passed--> stage_1([\"Stage (Dummy Stage)\ndummy2\"])\n",
            "stage_0 --> stage_1_policy_0{{\"Policy (Dummy Policy)\ndummy2-policy\"}}\n",
            "stage_1 --> done[[\"End of the flow\"]]",
        );
        assert_eq!(e.diagram("test-default-context", None).unwrap(), expected);
    }

    #[test]
    fn disabled_bindings_are_drawn_expired_ones_are_not() {
        let snapshot = json!({
            "users": [{"pk": 1, "username": "u"}],
            "policies": [
                {"pk": "a", "name": "enabled", "type": "dummy"},
                {"pk": "b", "name": "disabled", "type": "dummy"},
                {"pk": "c", "name": "expired", "type": "geoip"},
            ],
            "policy_bindings": [
                {"target": "b1", "policy": "a", "order": 5},
                {"target": "b1", "policy": "b", "order": 1, "enabled": false},
                {"target": "b1", "policy": "c", "order": 0, "expiring": true,
                 "expires": "2025-01-01T00:00:00Z"},
                {"target": "b1", "user": 1, "order": 2},
            ],
            "flows": [{"pk": "f", "slug": "f", "name": "F", "designation": "authentication"}],
            "stages": [{"pk": "s", "name": "S", "meta_model_name":
                        "authentik_stages_user_login.userloginstage"}],
            "flow_stage_bindings": [{"pk": "b1", "target": "f", "stage": "s", "order": 0}],
        });
        let e = Engine::from_json(&snapshot.to_string(), &Limits::default()).unwrap();
        let policies = |now: &str| {
            let r = crate::request::Request::parse(Some(&json!({"now": now})), 0).unwrap();
            let text = e.diagram("f", Some(&r)).unwrap();
            text.lines()
                .filter(|l| l.contains("Policy ("))
                .map(str::to_string)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            policies("2026-01-01T00:00:00Z"),
            vec![
                "flow_start --> stage_0_policy_0{{\"Policy (Dummy Policy)",
                "flow_start --> stage_0_policy_1{{\"Policy (Dummy Policy)",
            ]
        );
        let before = policies("2024-01-01T00:00:00Z");
        assert_eq!(before.len(), 3);
        assert_eq!(
            before[0],
            "flow_start --> stage_0_policy_0{{\"Policy (GeoIP Policy)"
        );
        let text = e.diagram("f", None).unwrap();
        assert!(text.contains("Stage (User Login Stage)\nS"), "{text}");
        assert!(text.contains("disabled\"}}\n") && text.find("disabled") < text.find("enabled"));
    }

    #[test]
    fn test_api_diagram_no_stages() {
        let e = engine();
        assert_eq!(
            e.diagram("no-stages", None).unwrap(),
            "graph TD\nflow_start[[\"Flow\ntest-default-context\"]]\nflow_start --> done[[\"End of the flow\"]]"
        );
        assert_eq!(
            e.diagram("missing", None).unwrap_err().code,
            crate::error::ErrorCode::NotFound
        );
    }

    fn stage(component: &str, meta: &str, verbose: Option<&str>) -> Stage {
        Stage {
            pk: "s".into(),
            name: "n".into(),
            component: component.into(),
            meta_model_name: meta.into(),
            verbose_name: verbose.map(str::to_string),
            raw: Default::default(),
        }
    }

    #[test]
    fn stage_names() {
        assert_eq!(
            stage_verbose_name(&stage("ak-stage-dummy", "", Some("X"))),
            "X"
        );
        assert_eq!(
            stage_verbose_name(&stage("ak-stage-user-login-form", "", None)),
            "User Login Stage"
        );
        assert_eq!(
            stage_verbose_name(&stage("ak-stage-dummy", "", None)),
            "Dummy Stage"
        );
        assert_eq!(
            stage_verbose_name(&stage(
                "",
                "authentik_stages_authenticator_validate.authenticatorvalidatestage",
                None
            )),
            "Authenticator Validation Stage"
        );
        assert_eq!(stage_verbose_name(&stage("", "", None)), "Stage");
    }

    #[test]
    fn element_rendering() {
        let mut out = Vec::new();
        Element::new("a", "x \"y\"").render(&mut out);
        Element::new("b", "d")
            .action("")
            .style(SUBROUTINE)
            .render(&mut out);
        Element::new("c", "d")
            .action("go")
            .sources(vec!["s1".into(), "s2".into()])
            .style(HEXAGON)
            .render(&mut out);
        assert_eq!(
            out,
            vec![
                "a[\"x #quot;y#quot;\"]",
                "--> b[[\"d\"]]",
                "s1 --go--> c{{\"d\"}}",
                "s2 --go--> c{{\"d\"}}",
            ]
        );
    }
}
