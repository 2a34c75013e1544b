//! The ticket kernel (TKT): the base record, kinds and references, status classes, links
//! between tickets and the cross-kind queue — what incidents, requests, problems and
//! changes share, so that none of them copies comments, clocks or routing.

mod duplicates;
mod kind;
mod links;
mod port;
mod query;
mod service;
mod status;
mod ticket;

pub use duplicates::{DuplicateCloser, DuplicateResolver, resolves_duplicates};
pub use kind::{TicketKind, TicketRef, UnknownKind};
pub use links::{LinkType, TicketLink, closes_cycle};
#[cfg(any(test, feature = "mock"))]
pub use port::MockTicketStore;
pub use port::TicketStore;
pub use query::{TaskQuery, TicketQuery, TicketSort};
pub use service::{
    LinkView, ListTasks, ListTickets, NewLink, TicketName, Tickets, resource_kind, ticket_resource,
    visibility_of,
};
pub use status::{KindState, StatusClass, class_of, states_in};
pub use ticket::{AnyTicket, SlaState, SlaTarget, Ticket, TicketSla};
