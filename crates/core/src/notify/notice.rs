//! What a notification says about an event, for mail, in-app and webhook alike.

use crate::entities::Incident;
use crate::events::{DomainEvent, EventPayload};
use crate::ports::TicketNotice;

/// The notice for `event` on `incident`, as seen by `recipient` (`None` for webhooks and
/// other machine receivers), or `None` when the event is not worth a notification.
/// `comment` is the comment's text for comment events.
pub fn notice_for(
    event: &DomainEvent,
    incident: &Incident,
    recipient_is_assignee: bool,
    comment: Option<&str>,
) -> Option<TicketNotice> {
    let reference = incident.reference();
    let mut details = vec![
        format!("Priority: {}", incident.priority.as_str()),
        format!("Status: {}", incident.status.as_str().replace('_', " ")),
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
