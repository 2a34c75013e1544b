//! The portable schema: one description for both backends (text ids, UTC `Timestamp`s,
//! JSON as text). Kept by hand in step with `migrations/`; the conformance suite fails when
//! the two disagree.

#![allow(missing_docs)] // generated-style table declarations

diesel::table! {
    organizations (id) {
        id -> Text,
        name -> Text,
        settings -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        org_id -> Text,
        email -> Text,
        name -> Text,
        roles -> Text,
        active -> Bool,
        platform_admin -> Bool,
        password_hash -> Nullable<Text>,
        email_verified_at -> Nullable<Timestamp>,
        mfa_secret_enc -> Nullable<Text>,
        mfa_enabled -> Bool,
        mfa_last_step -> Nullable<BigInt>,
        recovery_codes -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        manager_id -> Nullable<Text>,
        time_zone -> Nullable<Text>,
    }
}

diesel::table! {
    delegations (org_id, id) {
        org_id -> Text,
        id -> Text,
        user_id -> Text,
        delegate_id -> Text,
        starts_on -> Text,
        ends_on -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    roles (org_id, id) {
        org_id -> Text,
        id -> Text,
        name -> Text,
        grants -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    teams (org_id, id) {
        org_id -> Text,
        id -> Text,
        name -> Text,
        manager_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    team_members (org_id, team_id, user_id) {
        org_id -> Text,
        team_id -> Text,
        user_id -> Text,
    }
}

diesel::table! {
    calendars (org_id, id) {
        org_id -> Text,
        id -> Text,
        name -> Text,
        time_zone -> Text,
        hours -> Text,
        holidays -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    sla_policies (org_id, id) {
        org_id -> Text,
        id -> Text,
        name -> Text,
        rank -> Integer,
        conditions -> Text,
        first_response_minutes -> BigInt,
        resolution_minutes -> BigInt,
        warn_percent -> Integer,
        pause_statuses -> Text,
        escalations -> Text,
        calendar_id -> Text,
        active -> Bool,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    counters (org_id, kind) {
        org_id -> Text,
        kind -> Text,
        value -> BigInt,
    }
}

diesel::table! {
    tickets (org_id, id) {
        org_id -> Text,
        id -> Text,
        kind -> Text,
        number -> BigInt,
        title -> Text,
        description -> Text,
        impact -> Text,
        urgency -> Text,
        priority -> Text,
        priority_rank -> Integer,
        category -> Text,
        status -> Text,
        status_class -> Text,
        requester_id -> Text,
        created_by -> Text,
        team_id -> Nullable<Text>,
        assignee_id -> Nullable<Text>,
        resolved_at -> Nullable<Timestamp>,
        closed_at -> Nullable<Timestamp>,
        first_responded_at -> Nullable<Timestamp>,
        sla_policy_id -> Nullable<Text>,
        sla -> Nullable<Text>,
        sla_state -> Text,
        next_sla_due_at -> Nullable<Timestamp>,
        sla_sort_key -> Timestamp,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    incident_details (org_id, ticket_id) {
        org_id -> Text,
        ticket_id -> Text,
        escalation_level -> Integer,
        resolution_code -> Nullable<Text>,
        resolution_notes -> Nullable<Text>,
    }
}

diesel::table! {
    ticket_links (org_id, id) {
        org_id -> Text,
        id -> Text,
        source_id -> Text,
        target_id -> Text,
        link_type -> Text,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    comments (org_id, id) {
        org_id -> Text,
        id -> Text,
        ticket_id -> Text,
        author_id -> Text,
        body -> Text,
        internal -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    tasks (org_id, id) {
        org_id -> Text,
        id -> Text,
        ticket_id -> Text,
        number -> BigInt,
        title -> Text,
        status -> Text,
        team_id -> Nullable<Text>,
        assignee_id -> Nullable<Text>,
        deadline -> Nullable<Timestamp>,
        priority -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    ticket_history (org_id, id) {
        org_id -> Text,
        id -> Text,
        ticket_id -> Text,
        actor_id -> Nullable<Text>,
        at -> Timestamp,
        field -> Text,
        old_value -> Nullable<Text>,
        new_value -> Nullable<Text>,
    }
}

diesel::table! {
    audit_events (org_id, seq) {
        org_id -> Text,
        seq -> BigInt,
        actor_id -> Nullable<Text>,
        action -> Text,
        target_kind -> Text,
        target_id -> Text,
        at -> Timestamp,
        detail -> Text,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::table! {
    outbox (id) {
        id -> Text,
        org_id -> Text,
        kind -> Text,
        payload -> Text,
        created_at -> Timestamp,
        available_at -> Timestamp,
        attempts -> Integer,
        lease_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        delivered_at -> Nullable<Timestamp>,
        dead_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    idempotency_keys (org_id, user_id, key) {
        org_id -> Text,
        user_id -> Text,
        key -> Text,
        resource_kind -> Text,
        resource_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    refresh_token_families (id) {
        id -> Text,
        org_id -> Text,
        user_id -> Text,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    refresh_tokens (token_hash) {
        token_hash -> Text,
        family_id -> Text,
        issued_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        successor_sealed -> Nullable<Text>,
    }
}

diesel::table! {
    revoked_tokens (jti) {
        jti -> Text,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    user_tokens (token_hash) {
        token_hash -> Text,
        org_id -> Text,
        user_id -> Text,
        purpose -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    notification_preferences (org_id, user_id, event_kind) {
        org_id -> Text,
        user_id -> Text,
        event_kind -> Text,
        email -> Bool,
        in_app -> Bool,
    }
}

diesel::table! {
    notifications (id) {
        id -> Text,
        org_id -> Text,
        user_id -> Text,
        event_id -> Text,
        kind -> Text,
        ticket_id -> Nullable<Text>,
        title -> Text,
        body -> Text,
        created_at -> Timestamp,
        read_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    webhooks (org_id, id) {
        org_id -> Text,
        id -> Text,
        name -> Text,
        url -> Text,
        events -> Text,
        format -> Text,
        secret_sealed -> Text,
        active -> Bool,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    deliveries (id) {
        id -> Text,
        org_id -> Text,
        event_id -> Text,
        kind -> Text,
        channel -> Text,
        target -> Text,
        payload -> Text,
        created_at -> Timestamp,
        available_at -> Timestamp,
        attempts -> Integer,
        lease_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        delivered_at -> Nullable<Timestamp>,
        dead_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    auth_attempts (key) {
        key -> Text,
        failures -> Integer,
        window_started_at -> Timestamp,
        next_allowed_at -> Nullable<Timestamp>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    failed_logins (id) {
        id -> Text,
        org_id -> Text,
        user_id -> Text,
        email -> Text,
        client -> Text,
        reason -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    request_details (org_id, ticket_id) {
        org_id -> Text,
        ticket_id -> Text,
        catalog_item_id -> Text,
        item_version -> BigInt,
        answers -> Text,
        stages -> Text,
        approval_state -> Text,
        current_stage -> Integer,
        task_template -> Nullable<Text>,
    }
}

diesel::table! {
    approvals (org_id, id) {
        org_id -> Text,
        id -> Text,
        ticket_id -> Text,
        stage_index -> Integer,
        stage_name -> Text,
        approver_id -> Text,
        state -> Text,
        decided_by -> Nullable<Text>,
        comment -> Nullable<Text>,
        decided_at -> Nullable<Timestamp>,
        due_at -> Timestamp,
        remind_at -> Nullable<Timestamp>,
        reminded_at -> Nullable<Timestamp>,
        timed_out_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    catalog_categories (org_id, id) {
        org_id -> Text,
        id -> Text,
        name -> Text,
        description -> Text,
        parent_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    catalog_items (org_id, id) {
        org_id -> Text,
        id -> Text,
        category_id -> Text,
        name -> Text,
        active -> Bool,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    catalog_item_versions (org_id, item_id, version) {
        org_id -> Text,
        item_id -> Text,
        version -> BigInt,
        body -> Text,
        created_at -> Timestamp,
    }
}

// The current version of each item is read by joining its row to its version's body.
diesel::allow_tables_to_appear_in_same_query!(catalog_items, catalog_item_versions);

// Typed reads join a ticket to its kind's extension; auto-close leaves out tickets with
// open tasks (a correlated NOT EXISTS); link checks read both ends.
diesel::allow_tables_to_appear_in_same_query!(
    tickets,
    incident_details,
    request_details,
    tasks,
    ticket_links
);
