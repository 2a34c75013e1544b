-- The service catalog (issue 10): categories, items and every version of each item.
-- An item's current row holds what lists and filters need; the whole item of each version
-- is kept as JSON, so a request can always be read against the form it was submitted with.

CREATE TABLE catalog_categories (
    org_id TEXT NOT NULL REFERENCES organizations(id),
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    parent_id TEXT,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, id),
    UNIQUE (org_id, name),
    FOREIGN KEY (org_id, parent_id) REFERENCES catalog_categories(org_id, id)
);

CREATE TABLE catalog_items (
    org_id TEXT NOT NULL REFERENCES organizations(id),
    id TEXT NOT NULL,
    category_id TEXT NOT NULL,
    name TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, category_id) REFERENCES catalog_categories(org_id, id)
);
CREATE INDEX catalog_items_by_name ON catalog_items (org_id, name);

CREATE TABLE catalog_item_versions (
    org_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, item_id, version),
    FOREIGN KEY (org_id, item_id) REFERENCES catalog_items(org_id, id)
);
