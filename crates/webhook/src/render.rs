//! The request body for each [`WebhookFormat`].

use serde_json::{Value, json};
use servicedesk_core::ports::{WebhookFormat, WebhookMessage};

use crate::text::truncate;

/// `themeColor` of a Teams card for `sla.breached`.
const RED: &str = "D13438";
/// `themeColor` of a Teams card for `sla.warning`.
const ORANGE: &str = "FF8C00";
/// `themeColor` of a Teams card for every other event.
const BLUE: &str = "0078D7";

/// Slack refuses a `section` block whose text is longer than this.
const SLACK_SECTION_MAX: usize = 3000;
/// The summary is cut to this many characters inside the Slack `section` block (escaping
/// can make it up to five times longer).
const SLACK_SUMMARY_MAX: usize = 500;

/// The body posted for `message` in `format` (compact JSON, UTF-8). The signature covers
/// exactly these bytes.
///
/// - [`WebhookFormat::Json`]: the [`WebhookMessage`] itself, so a receiver can deserialize
///   it back into one: `delivery_id`, `event`, `event_id`, `org_id`, `occurred_at`
///   (RFC 3339, UTC), `summary`, `link` (or `null`), `data`.
/// - [`WebhookFormat::Slack`]: an incoming-webhook message: `text` is the summary with
///   `&`, `<`, `>` escaped as Slack requires, followed by `<link|Open>` when there is a
///   link; `blocks` repeat it in a `section` (mrkdwn) and add a `context` line with the
///   event name and time.
/// - [`WebhookFormat::Teams`]: a legacy connector `MessageCard` with `title`
///   `Servicedesk: <event>`, the summary as `summary` and `text`, `themeColor` red for
///   `sla.breached`, orange for `sla.warning`, blue otherwise, and an `OpenUri` action
///   "Open ticket" when there is a link.
pub fn render(format: WebhookFormat, message: &WebhookMessage) -> String {
    match format {
        WebhookFormat::Json => envelope(message),
        WebhookFormat::Slack => slack(message),
        WebhookFormat::Teams => teams(message),
    }
    .to_string()
}

/// The message as JSON, field by field: the destructuring is exhaustive, so a field added
/// to [`WebhookMessage`] does not compile until it is added here too. Serializing each field
/// cannot fail (strings, a `DateTime<Utc>` and a JSON value), which keeps [`render`] free of
/// an error path; a test checks the result equals serde's serialization of the struct.
fn envelope(message: &WebhookMessage) -> Value {
    let WebhookMessage {
        delivery_id,
        event,
        event_id,
        org_id,
        occurred_at,
        summary,
        link,
        data,
    } = message;
    json!({
        "delivery_id": delivery_id,
        "event": event,
        "event_id": event_id,
        "org_id": org_id,
        "occurred_at": occurred_at,
        "summary": summary,
        "link": link,
        "data": data,
    })
}

fn slack(message: &WebhookMessage) -> Value {
    let summary = slack_escape(&message.summary);
    let link = message
        .link
        .as_deref()
        .map(|link| format!("<{}|Open>", slack_url(link)));
    let text = match &link {
        Some(link) => format!("{summary} {link}"),
        None => summary,
    };

    let short = slack_escape(&truncate(&message.summary, SLACK_SUMMARY_MAX));
    let section = match &link {
        Some(link) if short.len() + 1 + link.len() <= SLACK_SECTION_MAX => {
            format!("{short} {link}")
        }
        _ => short,
    };
    let context = format!(
        "`{}` · {}",
        slack_escape(&message.event),
        message.occurred_at.format("%Y-%m-%d %H:%M UTC")
    );
    json!({
        "text": text,
        "blocks": [
            { "type": "section", "text": { "type": "mrkdwn", "text": section } },
            { "type": "context", "elements": [ { "type": "mrkdwn", "text": context } ] },
        ],
    })
}

fn teams(message: &WebhookMessage) -> Value {
    let color = match message.event.as_str() {
        "sla.breached" => RED,
        "sla.warning" => ORANGE,
        _ => BLUE,
    };
    let mut card = json!({
        "@type": "MessageCard",
        "@context": "https://schema.org/extensions",
        "summary": message.summary,
        "themeColor": color,
        "title": format!("Servicedesk: {}", message.event),
        "text": message.summary,
    });
    if let (Some(link), Some(fields)) = (&message.link, card.as_object_mut()) {
        fields.insert(
            "potentialAction".to_owned(),
            json!([{
                "@type": "OpenUri",
                "name": "Open ticket",
                "targets": [ { "os": "default", "uri": link } ],
            }]),
        );
    }
    card
}

/// Slack's three control characters as entities (and nothing else, as Slack asks).
fn slack_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A URL inside `<…|…>`: `&` as Slack's entity, and the characters that would end the link
/// or its URL part percent-encoded.
fn slack_url(url: &str) -> String {
    url.replace('&', "&amp;")
        .replace('<', "%3C")
        .replace('>', "%3E")
        .replace('|', "%7C")
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;

    fn message(event: &str, summary: &str, link: Option<&str>) -> WebhookMessage {
        WebhookMessage {
            delivery_id: "dlv-1".into(),
            event: event.into(),
            event_id: "evt-1".into(),
            org_id: "org-1".into(),
            occurred_at: Utc.with_ymd_and_hms(2026, 11, 3, 9, 30, 15).unwrap(),
            summary: summary.into(),
            link: link.map(Into::into),
            data: json!({ "incident": { "number": "INC-42", "priority": 2 }, "target": "resolution" }),
        }
    }

    fn parse(body: &str) -> Value {
        serde_json::from_str(body).unwrap()
    }

    #[test]
    fn json_is_the_message_and_reads_back_into_one() {
        for link in [Some("https://desk.example.org/incidents/INC-42"), None] {
            let m = message(
                "sla.breached",
                r#"INC-42 "Mail down": resolution SLA breached"#,
                link,
            );
            let body = render(WebhookFormat::Json, &m);
            assert_eq!(serde_json::from_str::<WebhookMessage>(&body).unwrap(), m);
            assert_eq!(parse(&body), serde_json::to_value(&m).unwrap());
            let v = parse(&body);
            assert_eq!(v["occurred_at"], "2026-11-03T09:30:15Z");
            assert_eq!(v["delivery_id"], "dlv-1");
            assert_eq!(v["data"]["incident"]["number"], "INC-42");
            assert_eq!(v["link"], link.map_or(Value::Null, Value::from));
            assert!(!body.contains('\n'), "compact: {body}");
        }
    }

    #[test]
    fn slack_text_escapes_and_links() {
        let m = message(
            "incident.created",
            "INC-7 <b>Tom & Jerry</b> > 3",
            Some("https://desk.example.org/i?id=7&tab=a|b"),
        );
        let v = parse(&render(WebhookFormat::Slack, &m));
        let text = v["text"].as_str().unwrap();
        assert_eq!(
            text,
            "INC-7 &lt;b&gt;Tom &amp; Jerry&lt;/b&gt; &gt; 3 \
             <https://desk.example.org/i?id=7&amp;tab=a%7Cb|Open>"
        );
        let blocks = v["blocks"].as_array().unwrap();
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0]["type"], "section");
        assert_eq!(blocks[0]["text"]["type"], "mrkdwn");
        assert_eq!(blocks[0]["text"]["text"], text);
        assert_eq!(blocks[1]["type"], "context");
        assert_eq!(
            blocks[1]["elements"][0]["text"],
            "`incident.created` · 2026-11-03 09:30 UTC"
        );
        assert_eq!(v.as_object().unwrap().len(), 2, "only text and blocks: {v}");
    }

    #[test]
    fn slack_without_a_link_is_just_the_summary() {
        let m = message("sla.warning", "INC-8 nearly late", None);
        let v = parse(&render(WebhookFormat::Slack, &m));
        assert_eq!(v["text"], "INC-8 nearly late");
        assert_eq!(v["blocks"][0]["text"]["text"], "INC-8 nearly late");
    }

    #[test]
    fn slack_section_stays_within_slacks_limit() {
        let long = "<&>".repeat(2000);
        let m = message("x", &long, Some(&format!("https://h/{}", "p".repeat(2900))));
        let v = parse(&render(WebhookFormat::Slack, &m));
        let section = v["blocks"][0]["text"]["text"].as_str().unwrap();
        assert!(
            section.chars().count() <= SLACK_SECTION_MAX,
            "{}",
            section.len()
        );
        assert!(section.ends_with('…'), "link dropped when it does not fit");
        // The full text keeps everything (Slack truncates `text` itself far later).
        assert!(v["text"].as_str().unwrap().ends_with("|Open>"));

        let m = message("x", &"é".repeat(600), Some("https://h/x"));
        let v = parse(&render(WebhookFormat::Slack, &m));
        let section = v["blocks"][0]["text"]["text"].as_str().unwrap();
        assert_eq!(section, format!("{}… <https://h/x|Open>", "é".repeat(500)));
    }

    #[test]
    fn teams_card_has_the_connector_fields_and_colours() {
        let link = "https://desk.example.org/incidents/INC-42";
        for (event, colour) in [
            ("sla.breached", RED),
            ("sla.warning", ORANGE),
            ("incident.created", BLUE),
        ] {
            let m = message(event, "INC-42 <Mail> & more", Some(link));
            let v = parse(&render(WebhookFormat::Teams, &m));
            assert_eq!(v["@type"], "MessageCard");
            assert_eq!(v["@context"], "https://schema.org/extensions");
            assert_eq!(v["themeColor"], colour);
            assert_eq!(v["summary"], "INC-42 <Mail> & more");
            assert_eq!(v["text"], "INC-42 <Mail> & more");
            assert_eq!(v["title"], format!("Servicedesk: {event}"));
            let actions = v["potentialAction"].as_array().unwrap();
            assert_eq!(actions.len(), 1);
            assert_eq!(actions[0]["@type"], "OpenUri");
            assert_eq!(actions[0]["name"], "Open ticket");
            assert_eq!(
                actions[0]["targets"],
                json!([{ "os": "default", "uri": link }])
            );
        }
    }

    #[test]
    fn teams_card_without_a_link_has_no_action() {
        let v = parse(&render(
            WebhookFormat::Teams,
            &message("incident.resolved", "INC-1 resolved", None),
        ));
        assert!(v.get("potentialAction").is_none(), "{v}");
        assert_eq!(v["themeColor"], BLUE);
    }
}
