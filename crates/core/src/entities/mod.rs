//! The things the service desk keeps.

mod comment;
mod history;
mod incident;
mod organization;
mod task;
mod team;
mod text;
mod user;

pub use comment::Comment;
pub use history::HistoryEntry;
pub use incident::{Incident, IncidentDetails, IncidentSla, SlaTarget};
pub use organization::{OrgSettings, Organization};
pub use task::Task;
pub use team::Team;
pub use text::{Body, Category, ResolutionCode, Title};
pub use user::User;
