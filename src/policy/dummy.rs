//! DummyPolicy (policies §3.1): returns `result` with the message "dummy". flowgate does not
//! sleep (`wait_min`/`wait_max` are read and ignored): edge evaluation must stay fast.

use super::{Outcome, PolicyCtx, PolicyRun, fields, finish};
use crate::error::PathError;
use crate::json::Errors;
use crate::snapshot::Policy;

#[derive(Debug)]
pub struct Dummy {
    pub result: bool,
}

impl Dummy {
    pub fn compile(p: &Policy) -> Result<Dummy, Vec<PathError>> {
        let mut errs = Errors::default();
        let o = fields(p);
        let result = o.bool_or("result", false, &mut errs);
        o.opt_int("wait_min", &mut errs);
        o.opt_int("wait_max", &mut errs);
        finish(Dummy { result }, errs)
    }

    pub fn run(&self, _ctx: &PolicyCtx<'_>) -> PolicyRun {
        Ok(Outcome::with_message(self.result, "dummy"))
    }
}
