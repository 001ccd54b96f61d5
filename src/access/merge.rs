//! Deep merge as the `deepmerge` package's `always_merger` does it (authentik merges group and
//! entitlement attributes with it): dicts recursively, lists concatenated, anything else
//! (scalars, type conflicts) overwritten by the later value.

use serde_json::{Map, Value};

pub fn deep_merge(base: &mut Map<String, Value>, next: &Map<String, Value>) {
    for (key, value) in next {
        match (base.get_mut(key), value) {
            (Some(Value::Object(b)), Value::Object(n)) => deep_merge(b, n),
            (Some(Value::Array(b)), Value::Array(n)) => b.extend(n.iter().cloned()),
            _ => {
                base.insert(key.clone(), value.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn merges_dicts_lists_and_scalars() {
        let mut base =
            obj(json!({"roles": ["viewer"], "quota": {"storage": 10}, "tier": "gold", "x": [1]}));
        deep_merge(
            &mut base,
            &obj(
                json!({"roles": ["editor"], "quota": {"cpu": 2, "storage": 20}, "tier": "platinum", "x": {"now": "dict"}}),
            ),
        );
        assert_eq!(
            Value::Object(base),
            json!({"roles": ["viewer", "editor"], "quota": {"storage": 20, "cpu": 2}, "tier": "platinum", "x": {"now": "dict"}})
        );
    }
}
