//! What a notification says about an event, for mail, in-app and webhook alike.

use crate::events::{DomainEvent, EventPayload};
use crate::ports::TicketNotice;
use crate::tickets::Ticket;

/// The notice for `event` on `incident`, as seen by `recipient` (`None` for webhooks and
/// other machine receivers), or `None` when the event is not worth a notification.
/// `comment` is the comment's text for comment events.
pub fn notice_for<S: std::fmt::Display, D>(
    event: &DomainEvent,
    incident: &Ticket<S, D>,
    recipient_is_assignee: bool,
    comment: Option<&str>,
) -> Option<TicketNotice> {
    let reference = incident.reference();
    let mut details = vec![
        format!("Priority: {}", incident.priority.as_str()),
        format!("Status: {}", incident.status.to_string().replace('_', " ")),
    ];
    let headline = match &event.payload {
        EventPayload::IncidentCreated { .. } => format!("{reference} was opened"),
        EventPayload::IncidentAssigned { assignee_id, .. } => match assignee_id {
            Some(_) if recipient_is_assignee => format!("{reference} was assigned to you"),
            Some(_) => format!("{reference} was assigned"),
            None => format!("{reference} was assigned to your team"),
        },
        EventPayload::IncidentEscalated { level, reason, .. } => {
            details.push(format!("Reason: {reason}"));
            format!("{reference} was escalated to level {level}")
        }
        EventPayload::IncidentStatusChanged { to, .. } => {
            format!("{reference} is now {}", to.replace('_', " "))
        }
        EventPayload::CommentAdded { internal: true, .. } => {
            format!("New work note on {reference}")
        }
        EventPayload::CommentAdded { .. } => format!("New comment on {reference}"),
        EventPayload::SlaWarning { target, due_at, .. } => {
            details.push(format!("Due: {}", due_at.format("%Y-%m-%d %H:%M UTC")));
            format!(
                "{reference}: the {} target is close to breaching",
                target.as_str().replace('_', " ")
            )
        }
        EventPayload::SlaBreached { target, due_at, .. } => {
            details.push(format!("Was due: {}", due_at.format("%Y-%m-%d %H:%M UTC")));
            format!(
                "{reference}: the {} target was breached",
                target.as_str().replace('_', " ")
            )
        }
        EventPayload::RequestSubmitted { draft: false, .. } => {
            format!("{reference} was submitted")
        }
        EventPayload::RequestStatusChanged { to, .. } => match to.as_str() {
            "approved" => format!("{reference} was approved"),
            "rejected" => format!("{reference} was rejected"),
            "fulfilled" => format!("{reference} was fulfilled"),
            "fulfilling" => format!("{reference} is being fulfilled"),
            "pending_approval" => format!("{reference} is waiting for approval"),
            other => format!("{reference} is now {}", other.replace('_', " ")),
        },
        EventPayload::ApprovalRequested { stage, due_at, .. } => {
            details.push(format!("Stage: {stage}"));
            details.push(format!(
                "Decide by: {}",
                due_at.format("%Y-%m-%d %H:%M UTC")
            ));
            format!("{reference} needs your approval")
        }
        EventPayload::ApprovalReminder { stage, due_at, .. } => {
            details.push(format!("Stage: {stage}"));
            details.push(format!(
                "Decide by: {}",
                due_at.format("%Y-%m-%d %H:%M UTC")
            ));
            format!("Reminder: {reference} is waiting for your approval")
        }
        _ => return None,
    };
    Some(TicketNotice {
        kind: event.kind().to_owned(),
        incident_id: incident.id,
        reference,
        title: incident.title.clone(),
        headline,
        details,
        comment: comment.map(str::to_owned),
    })
}
