//! GeoIp policy: not implemented yet in this build (see the policy-types issue); running it is
//! an execution error, so the binding's failure_result applies — never a silent pass.

use super::{PolicyCtx, PolicyRun, unsupported};
use crate::error::PathError;
use crate::snapshot::Policy;

#[derive(Debug)]
pub struct GeoIp;

impl GeoIp {
    pub fn compile(_p: &Policy) -> Result<GeoIp, Vec<PathError>> {
        Ok(GeoIp)
    }

    pub fn run(&self, _ctx: &PolicyCtx<'_>) -> PolicyRun {
        Err(unsupported("geoip"))
    }
}
