-- A create writes a ticket's detail, comment and history rows before the ticket row, so
-- that the organization's number counter row (held until commit, serializing its creators)
-- is taken as late as possible: those rows' keys to `tickets` are checked at commit.
-- Nothing else changes: a transaction that commits has every ticket its rows name.
ALTER TABLE incident_details ALTER CONSTRAINT incident_details_org_id_ticket_id_fkey DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE request_details ALTER CONSTRAINT request_details_org_id_ticket_id_fkey DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ticket_history ALTER CONSTRAINT ticket_history_org_id_incident_id_fkey DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE comments ALTER CONSTRAINT comments_org_id_incident_id_fkey DEFERRABLE INITIALLY DEFERRED;
