//! Results → JS values: the same values serde-wasm-bindgen's `json_compatible()` serializer
//! makes (plain objects for structs and maps, arrays for sequences, `null` for None and unit,
//! numbers for integers within ±(2^53 − 1), `{Variant: …}` for data-carrying enum variants),
//! with JS strings reused from a per-engine cache.
//!
//! Why: a result is mostly short strings that come from the snapshot (pks, slugs, names), and
//! making a JS string from Wasm memory goes through `TextDecoder` (≈0.2 µs each, a quarter of a
//! `plan` call). A JS string has no identity, so handing out the same one again is invisible.

use crate::engine::lookup::{FxHasher, same};
use js_sys::{Array, JsString, Object};
use serde::ser::{self, Serialize};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use wasm_bindgen::prelude::*;

/// Strings longer than this are made afresh every time (messages, large values).
const MAX_CACHED_LEN: usize = 128;
/// Entries per cache: a bound on the memory one engine's results can pin.
const MAX_ENTRIES: usize = 8192;

/// Hash of a string → the string and its JS value.
type Entries = HashMap<u64, (Box<str>, JsValue), BuildHasherDefault<IdHasher>>;

/// JS strings by content (keyed by a 64-bit hash; a colliding string is simply not cached).
#[derive(Default)]
pub struct StringCache {
    map: RefCell<Entries>,
}

/// The keys are hashes already.
#[derive(Default)]
pub struct IdHasher(u64);

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | b as u64;
        }
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = i;
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

impl StringCache {
    /// The JS string for `s`.
    pub fn get(&self, s: &str) -> JsValue {
        if s.len() > MAX_CACHED_LEN {
            return JsValue::from_str(s);
        }
        let mut h = FxHasher::default();
        h.add_bytes(s.as_bytes());
        let key = h.finish();
        let Ok(mut map) = self.map.try_borrow_mut() else {
            return JsValue::from_str(s);
        };
        if let Some((text, js)) = map.get(&key) {
            if same(text.as_bytes(), s.as_bytes()) {
                return js.clone();
            }
            return JsValue::from_str(s);
        }
        let js = JsValue::from_str(s);
        if map.len() < MAX_ENTRIES {
            map.insert(key, (Box::from(s), js.clone()));
        }
        js
    }
}

#[wasm_bindgen]
extern "C" {
    /// A plain object filled with `obj[key] = value` (no `Reflect`, nothing can throw).
    #[wasm_bindgen(extends = Object)]
    type PlainObject;
    #[wasm_bindgen(method, indexing_setter)]
    fn set(this: &PlainObject, key: &JsValue, value: &JsValue);
}

fn object() -> PlainObject {
    Object::new().unchecked_into()
}

/// `Object.defineProperty(obj, key, {value, writable, enumerable, configurable: true})`: an own
/// data property whatever the key (a plain store of `__proto__` would set the prototype).
fn define_own(obj: &PlainObject, key: &JsValue, value: &JsValue) {
    let descriptor = object();
    descriptor.set(&JsValue::from_str("value"), value);
    for flag in ["writable", "enumerable", "configurable"] {
        descriptor.set(&JsValue::from_str(flag), &JsValue::TRUE);
    }
    Object::define_property(obj, key, descriptor.unchecked_ref());
}

/// A serialization failure; displayed as `String(new Error(message))` is, like
/// serde-wasm-bindgen's errors.
#[derive(Debug)]
pub struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Error: {}", self.0)
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error(msg.to_string())
    }
}

type Result<T = JsValue> = std::result::Result<T, Error>;

/// The serializer; `strings` is the engine's cache (None for module-level functions).
#[derive(Clone, Copy)]
pub struct Serializer<'c> {
    strings: Option<&'c StringCache>,
    /// Set while serializing a map key: records whether the key is one that a plain store
    /// (`obj[key] = v`) would not turn into an own data property (see `RESERVED_KEYS`).
    key_probe: Option<&'c Cell<bool>>,
}

/// Keys a plain store treats specially, or that hosts commonly guard against: `__proto__`
/// would set the object's prototype (a client-supplied plan context could then make its
/// `context` inherit attacker-chosen properties). These are defined as own data properties.
const RESERVED_KEYS: [&str; 3] = ["__proto__", "constructor", "prototype"];

impl<'c> Serializer<'c> {
    pub fn new(strings: Option<&'c StringCache>) -> Self {
        Serializer {
            strings,
            key_probe: None,
        }
    }

    fn string(&self, s: &str) -> JsValue {
        match self.strings {
            Some(cache) => cache.get(s),
            None => JsValue::from_str(s),
        }
    }

    /// Field and variant names: a fixed set of literals, cached per thread by address (as
    /// serde-wasm-bindgen does), so a hit costs no hashing of the text.
    fn name(&self, s: &'static str) -> JsValue {
        thread_local! {
            static NAMES: RefCell<HashMap<u64, JsValue, BuildHasherDefault<IdHasher>>> =
                RefCell::default();
        }
        if s.len() >= 1 << 20 {
            return JsValue::from_str(s);
        }
        // Address and length: literals may share an address (a prefix of a merged constant).
        let key = ((s.as_ptr() as usize as u64) << 20) | s.len() as u64;
        NAMES.with(|names| {
            let Ok(mut names) = names.try_borrow_mut() else {
                return JsValue::from_str(s);
            };
            names
                .entry(key)
                .or_insert_with(|| JsValue::from_str(s))
                .clone()
        })
    }
}

const MAX_SAFE_INTEGER: i64 = 9_007_199_254_740_991;

impl<'c> ser::Serializer for Serializer<'c> {
    type Ok = JsValue;
    type Error = Error;
    type SerializeSeq = ArraySer<'c>;
    type SerializeTuple = ArraySer<'c>;
    type SerializeTupleStruct = ArraySer<'c>;
    type SerializeTupleVariant = VariantSer<'c, ArraySer<'c>>;
    type SerializeMap = MapSer<'c>;
    type SerializeStruct = ObjectSer<'c>;
    type SerializeStructVariant = VariantSer<'c, ObjectSer<'c>>;

    fn serialize_bool(self, v: bool) -> Result {
        Ok(JsValue::from_bool(v))
    }
    fn serialize_i8(self, v: i8) -> Result {
        Ok(JsValue::from_f64(v as f64))
    }
    fn serialize_i16(self, v: i16) -> Result {
        Ok(JsValue::from_f64(v as f64))
    }
    fn serialize_i32(self, v: i32) -> Result {
        Ok(JsValue::from_f64(v as f64))
    }
    fn serialize_i64(self, v: i64) -> Result {
        if (-MAX_SAFE_INTEGER..=MAX_SAFE_INTEGER).contains(&v) {
            Ok(JsValue::from_f64(v as f64))
        } else {
            Err(ser::Error::custom(format_args!(
                "{v} can't be represented as a JavaScript number"
            )))
        }
    }
    fn serialize_u8(self, v: u8) -> Result {
        Ok(JsValue::from_f64(v as f64))
    }
    fn serialize_u16(self, v: u16) -> Result {
        Ok(JsValue::from_f64(v as f64))
    }
    fn serialize_u32(self, v: u32) -> Result {
        Ok(JsValue::from_f64(v as f64))
    }
    fn serialize_u64(self, v: u64) -> Result {
        if v <= MAX_SAFE_INTEGER as u64 {
            Ok(JsValue::from_f64(v as f64))
        } else {
            Err(ser::Error::custom(format_args!(
                "{v} can't be represented as a JavaScript number"
            )))
        }
    }
    fn serialize_i128(self, v: i128) -> Result {
        Ok(JsValue::from(v))
    }
    fn serialize_u128(self, v: u128) -> Result {
        Ok(JsValue::from(v))
    }
    fn serialize_f32(self, v: f32) -> Result {
        Ok(JsValue::from_f64(v as f64))
    }
    fn serialize_f64(self, v: f64) -> Result {
        Ok(JsValue::from_f64(v))
    }
    fn serialize_char(self, v: char) -> Result {
        Ok(JsString::from(v).into())
    }
    fn serialize_str(self, v: &str) -> Result {
        if let Some(probe) = self.key_probe {
            probe.set(RESERVED_KEYS.contains(&v));
        }
        Ok(self.string(v))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result {
        // As plain arrays of numbers (json_compatible's `serialize_bytes_as_arrays`).
        let out = Array::new();
        for &b in v {
            out.push(&JsValue::from_f64(b as f64));
        }
        Ok(out.into())
    }
    fn serialize_none(self) -> Result {
        Ok(JsValue::NULL)
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result {
        Ok(JsValue::NULL)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result {
        Ok(JsValue::NULL)
    }
    fn serialize_unit_variant(self, _name: &'static str, _i: u32, variant: &'static str) -> Result {
        Ok(self.name(variant))
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _i: u32,
        variant: &'static str,
        value: &T,
    ) -> Result {
        let obj = object();
        obj.set(&self.name(variant), &value.serialize(self)?);
        Ok(obj.into())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<ArraySer<'c>> {
        Ok(ArraySer {
            ser: self,
            target: Array::new(),
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<ArraySer<'c>> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<ArraySer<'c>> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _i: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleVariant> {
        Ok(VariantSer {
            ser: self,
            variant,
            inner: self.serialize_seq(Some(len))?,
        })
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<MapSer<'c>> {
        Ok(MapSer {
            ser: self,
            target: object(),
            next_key: None,
            reserved: false,
        })
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<ObjectSer<'c>> {
        Ok(ObjectSer {
            ser: self,
            target: object(),
        })
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _i: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStructVariant> {
        Ok(VariantSer {
            ser: self,
            variant,
            inner: self.serialize_struct(variant, len)?,
        })
    }
}

pub struct ArraySer<'c> {
    ser: Serializer<'c>,
    target: Array,
}

impl ser::SerializeSeq for ArraySer<'_> {
    type Ok = JsValue;
    type Error = Error;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        self.target.push(&value.serialize(self.ser)?);
        Ok(())
    }
    fn end(self) -> Result {
        Ok(self.target.into())
    }
}

impl ser::SerializeTuple for ArraySer<'_> {
    type Ok = JsValue;
    type Error = Error;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeTupleStruct for ArraySer<'_> {
    type Ok = JsValue;
    type Error = Error;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result {
        ser::SerializeSeq::end(self)
    }
}

/// Maps become plain objects; their keys must serialize to strings.
pub struct MapSer<'c> {
    ser: Serializer<'c>,
    target: PlainObject,
    next_key: Option<JsValue>,
    /// The pending key is one of `RESERVED_KEYS`.
    reserved: bool,
}

impl ser::SerializeMap for MapSer<'_> {
    type Ok = JsValue;
    type Error = Error;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<()> {
        let probe = Cell::new(false);
        let key = key.serialize(Serializer {
            strings: self.ser.strings,
            key_probe: Some(&probe),
        })?;
        self.reserved = probe.get();
        if !key.is_string() {
            return Err(ser::Error::custom(
                "Map key is not a string and cannot be an object key",
            ));
        }
        self.next_key = Some(key);
        Ok(())
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        let Some(key) = self.next_key.take() else {
            return Err(ser::Error::custom("a map value came without its key"));
        };
        let value = value.serialize(self.ser)?;
        if self.reserved {
            define_own(&self.target, &key, &value);
        } else {
            self.target.set(&key, &value);
        }
        Ok(())
    }
    fn end(self) -> Result {
        Ok(self.target.into())
    }
}

pub struct ObjectSer<'c> {
    ser: Serializer<'c>,
    target: PlainObject,
}

impl ser::SerializeStruct for ObjectSer<'_> {
    type Ok = JsValue;
    type Error = Error;
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<()> {
        let value = value.serialize(self.ser)?;
        self.target.set(&self.ser.name(key), &value);
        Ok(())
    }
    fn end(self) -> Result {
        Ok(self.target.into())
    }
}

/// `{Variant: payload}` around a tuple or struct serializer.
pub struct VariantSer<'c, S> {
    ser: Serializer<'c>,
    variant: &'static str,
    inner: S,
}

impl<S> VariantSer<'_, S> {
    fn wrap(&self, payload: JsValue) -> Result {
        let obj = object();
        obj.set(&self.ser.name(self.variant), &payload);
        Ok(obj.into())
    }
}

impl<'c> ser::SerializeTupleVariant for VariantSer<'c, ArraySer<'c>> {
    type Ok = JsValue;
    type Error = Error;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        ser::SerializeSeq::serialize_element(&mut self.inner, value)
    }
    fn end(self) -> Result {
        let payload = JsValue::from(self.inner.target.clone());
        self.wrap(payload)
    }
}

impl<'c> ser::SerializeStructVariant for VariantSer<'c, ObjectSer<'c>> {
    type Ok = JsValue;
    type Error = Error;
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<()> {
        ser::SerializeStruct::serialize_field(&mut self.inner, key, value)
    }
    fn end(self) -> Result {
        let payload = JsValue::from(self.inner.target.clone());
        self.wrap(payload)
    }
}
