//! Service requests (REQ): a kind of ticket raised against a catalog item, with its form's
//! answers, multi-stage approvals and fulfilment tasks — entities, port and use cases.

mod entities;
mod port;
mod service;

pub use entities::{
    Approval, ApprovalDecision, ApprovalState, RequestDetails, ServiceRequest, StagePlan,
};
#[cfg(any(test, feature = "mock"))]
pub use port::MockRequestStore;
pub use port::{RequestChanges, RequestStore};
pub use service::{RequestPorts, RequestView, ServiceRequests, SubmitRequest};
